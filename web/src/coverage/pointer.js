// What-if on the map: while a tool is in hand (添加 / 移动 / 删除站点), a click on the map is the tool's — not the
// lookup's — and a station can be dragged. The map's own click (main.js: the lookup panel) never sees these clicks: they
// are taken in the capture phase, before MapLibre hears them. Pans still work: a press that moves is not a click.
import { WHATIF_HIT_LAYERS } from "./draw.js";

const CLICK_TOLERANCE = 4; // px, as MapLibre's

export class WhatIfPointer {
  /**
   * @param map the maplibregl.Map
   * @param onClick(lngLat, stationId|null) a click while armed, with the station under it (if any)
   * @param onDragEnd(stationId, lngLat) a station was dragged and let go
   * @param canDrag(stationId, status) whether a station may be dragged now
   * @param onDrag(stationId, lngLat) while it is dragged
   */
  constructor(map, { onClick, onDragEnd, onDrag, canDrag }) {
    this.map = map;
    this.armed = false;
    this.enabled = false;
    this.down = null;
    this.dragging = null;
    const container = map.getContainer();
    const canvas = map.getCanvas();
    container.addEventListener("pointerdown", (e) => { this.down = [e.clientX, e.clientY]; }, true);
    container.addEventListener("click", (e) => {
      if (!this.armed || e.target !== canvas) return;
      e.stopPropagation();
      e.preventDefault();
      const moved = this.down && Math.hypot(e.clientX - this.down[0], e.clientY - this.down[1]) > CLICK_TOLERANCE;
      if (moved || this.justDragged) { this.justDragged = false; return; }
      const rect = canvas.getBoundingClientRect();
      const point = [e.clientX - rect.left, e.clientY - rect.top];
      onClick(map.unproject(point), this.hit(point)?.properties.id ?? null);
    }, true);

    const start = (e) => {
      if (!this.enabled || this.dragging) return;
      if (e.points && e.points.length !== 1) return;
      const hit = this.hit([e.point.x, e.point.y]);
      if (!hit || !canDrag(hit.properties.id, hit.properties.status)) return;
      e.preventDefault(); // no pan for this press
      this.dragging = { id: hit.properties.id, moved: false, at: e.lngLat };
      canvas.style.cursor = "grabbing";
      const move = (ev) => {
        this.dragging.moved = true;
        this.dragging.at = ev.lngLat;
        onDrag?.(this.dragging.id, ev.lngLat);
      };
      const end = () => {
        map.off("mousemove", move);
        map.off("touchmove", move);
        const d = this.dragging;
        this.dragging = null;
        canvas.style.cursor = this.armed ? "crosshair" : "";
        if (d?.moved) {
          this.justDragged = true;
          setTimeout(() => { this.justDragged = false; }, 0);
          onDragEnd(d.id, d.at);
        }
      };
      map.on("mousemove", move);
      map.on("touchmove", move);
      map.once(e.type === "touchstart" ? "touchend" : "mouseup", end);
    };
    map.on("mousedown", start);
    map.on("touchstart", start);
  }

  /** The what-if station under a point (a few pixels around it), or null. */
  hit(point) {
    const layers = WHATIF_HIT_LAYERS.filter((id) => this.map.getLayer(id) && this.map.getLayoutProperty(id, "visibility") !== "none");
    if (!layers.length) return null;
    const r = 6;
    const features = this.map.queryRenderedFeatures([[point[0] - r, point[1] - r], [point[0] + r, point[1] + r]], { layers });
    return features[0] ?? null;
  }

  /** `armed`: clicks go to the tool; `enabled`: what-if stations may be dragged. */
  set({ armed, enabled }) {
    this.armed = Boolean(armed);
    this.enabled = Boolean(enabled);
    if (!this.dragging) this.map.getCanvas().style.cursor = this.armed ? "crosshair" : "";
  }
}
