// 服务圈 exports: the coverage table as CSV (UTF-8 with a BOM, so Excel opens the Chinese right) and the map as PNG
// with a title (kind, threshold, profile), the covered shares, a legend and the date drawn on it.
import { ADDED, BAND_COLOURS, BEYOND, MOVED, OUTLINE, REMOVED, SITE, UNREACHABLE } from "./draw.js";

const pad = (n) => String(n).padStart(2, "0");
export const today = (d = new Date()) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const stamp = (d = new Date()) => `${today(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}`;

/** A CSV field: quoted when it holds a comma, a quote or a line break. */
const field = (v) => {
  const s = v == null ? "" : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/**
 * The table of a run (coverage/state.js), communities then grids — in scope when the table shows only the scope — with,
 * per threshold, covered households, the covered share (%) and uncovered households; after a what-if, the share after.
 */
export function coverageCsv(state) {
  const t = state.table;
  const labels = t.thresholds.map((x) => x.label);
  const unit = state.unit;
  const whatIf = Boolean(state.answer);
  const header = ["层级", "编码", "名称", "所属", "户数", "楼栋数"];
  for (const l of labels) {
    header.push(`${l}${unit}覆盖户数`, `${l}${unit}覆盖率(%)`, `${l}${unit}未覆盖户数`);
    if (whatIf) header.push(`${l}${unit}调整后覆盖率(%)`);
  }
  const lines = [header];
  for (const [tab, level] of [["communities", "社区"], ["grids", "网格"]]) {
    const rows = state.rows(tab).sort((a, b) => a.code.localeCompare(b.code));
    for (const r of rows) {
      const line = [level, r.code, r.source.name ?? "", r.parent ?? "", r.households, r.source.buildings];
      for (const l of labels) {
        const covered = r.source.covered[l] ?? 0;
        line.push(covered, (100 * (r.source.share[l] ?? 1)).toFixed(2), r.households - covered);
        if (whatIf) {
          const after = state.after(tab, r.code, l);
          line.push(after == null ? "" : (100 * after).toFixed(2));
        }
      }
      lines.push(line);
    }
  }
  return `\uFEFF${lines.map((l) => l.map(field).join(",")).join("\r\n")}\r\n`;
}

/** A file name of the parameters and the date: 服务圈覆盖_全部站点_5-10-15分钟_成人_2025-01-31.csv */
export function fileName(state, ext) {
  const d = state.describe();
  const clean = (s) => s.replace(/[\\/:*?"<>|\s()]+/g, "").replaceAll("/", "-");
  return `服务圈覆盖_${clean(d.kind)}_${clean(d.threshold.replaceAll("/", "-"))}_${clean(d.profile.split(" ")[0])}_${today()}.${ext}`;
}

/** Saves a Blob under a name (a download, as the browser does it). */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.style.display = "none";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The map's canvas as drawn in the next frame, copied while its drawing buffer still holds it. */
function mapFrame(map) {
  return new Promise((resolve) => {
    map.once("render", () => {
      const source = map.getCanvas();
      const copy = document.createElement("canvas");
      copy.width = source.width;
      copy.height = source.height;
      copy.getContext("2d").drawImage(source, 0, 0);
      resolve(copy);
    });
    map.triggerRepaint();
  });
}

const FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif';

/** A white, slightly see-through box with a shadow. */
function box(ctx, x, y, w, h, r) {
  ctx.save();
  ctx.shadowColor = "rgba(0,0,0,0.25)";
  ctx.shadowBlur = 6 * r;
  ctx.fillStyle = "rgba(255,255,255,0.94)";
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, 6 * r);
  ctx.fill();
  ctx.restore();
}

/**
 * The legend of what the map shows now: the bands of the thresholds, beyond and unreachable, and gaps, sites, what-if
 * stations and the outline when they are drawn.
 */
export function legendItems(state, shown) {
  const labels = state.table?.thresholds.map((t) => t.label) ?? [];
  const items = labels.map((l, i) => ({ colour: BAND_COLOURS[Math.min(i, 2)], text: `${state.thresholdLabel(l)}内可达`, shape: "square" }));
  if (labels.length) items.push({ colour: BEYOND, text: `超出 ${state.thresholdLabel(labels.at(-1))}`, shape: "square" });
  items.push({ colour: UNREACHABLE, text: "无法到达", shape: "square" });
  if (shown.gaps) items.push({ colour: BEYOND, text: "服务缺口", shape: "hatch" });
  if (shown.sites) items.push({ colour: SITE, text: "建议新站点", shape: "dot" });
  const statuses = new Set([...state.stations().values()].map((s) => s.status));
  if (statuses.has("added")) items.push({ colour: ADDED, text: "假设新增站点", shape: "dot" });
  if (statuses.has("moved")) items.push({ colour: MOVED, text: "假设移动站点", shape: "dot" });
  if (statuses.has("removed")) items.push({ colour: REMOVED, text: "假设删除站点", shape: "ring" });
  if (shown.outline) items.push({ colour: OUTLINE, text: "选中范围", shape: "line" });
  return items;
}

/**
 * The map as a PNG of the map's own size (its canvas, device pixels), with the title, the shares, a legend and the date
 * drawn over it. Resolves to a Blob.
 */
export async function mapPng(map, { title, lines = [], legend = [] }) {
  const frame = await mapFrame(map);
  const canvas = frame;
  const ctx = canvas.getContext("2d");
  const r = canvas.width / map.getContainer().clientWidth || 1;
  const margin = 10 * r;

  // Title (kind, threshold, profile), the shares, the date.
  ctx.font = `600 ${16 * r}px ${FONT}`;
  const titleWidth = ctx.measureText(title).width;
  ctx.font = `${12.5 * r}px ${FONT}`;
  const texts = [...lines, `${stamp()} · GridMap 网格地图`];
  const width = Math.min(canvas.width - 2 * margin, Math.max(titleWidth, ...texts.map((s) => ctx.measureText(s).width)) + 24 * r);
  const height = (16 + 10 + texts.length * 18 + 8) * r;
  box(ctx, margin, margin, width, height, r);
  ctx.fillStyle = "#1f2933";
  ctx.textBaseline = "top";
  ctx.font = `600 ${16 * r}px ${FONT}`;
  ctx.fillText(title, margin + 12 * r, margin + 9 * r, width - 24 * r);
  ctx.font = `${12.5 * r}px ${FONT}`;
  texts.forEach((s, i) => {
    ctx.fillStyle = i === texts.length - 1 ? "#6b7785" : "#1f2933";
    ctx.fillText(s, margin + 12 * r, margin + (16 + 14 + i * 18) * r, width - 24 * r);
  });

  // Legend, bottom left.
  if (legend.length) {
    ctx.font = `${12 * r}px ${FONT}`;
    const lw = Math.max(...legend.map((l) => ctx.measureText(l.text).width)) + 44 * r;
    const lh = (12 + legend.length * 19) * r;
    const x = margin;
    const y = canvas.height - lh - 40 * r;
    box(ctx, x, y, lw, lh, r);
    legend.forEach((l, i) => {
      const cy = y + (6 + i * 19 + 9.5) * r;
      const sx = x + 10 * r;
      ctx.fillStyle = l.colour;
      ctx.strokeStyle = l.colour;
      if (l.shape === "dot" || l.shape === "ring") {
        ctx.beginPath();
        ctx.arc(sx + 7 * r, cy, 6 * r, 0, 2 * Math.PI);
        if (l.shape === "dot") ctx.fill();
        ctx.lineWidth = 2.5 * r;
        ctx.strokeStyle = l.shape === "ring" ? BEYOND : "#fff";
        ctx.stroke();
      } else if (l.shape === "line") {
        ctx.lineWidth = 3 * r;
        ctx.beginPath();
        ctx.moveTo(sx, cy);
        ctx.lineTo(sx + 14 * r, cy);
        ctx.stroke();
      } else {
        ctx.globalAlpha = l.shape === "hatch" ? 0.45 : 0.9;
        ctx.fillRect(sx, cy - 5 * r, 14 * r, 10 * r);
        ctx.globalAlpha = 1;
        if (l.shape === "hatch") {
          ctx.setLineDash([3 * r, 2 * r]);
          ctx.lineWidth = 1.5 * r;
          ctx.strokeRect(sx, cy - 5 * r, 14 * r, 10 * r);
          ctx.setLineDash([]);
        }
      }
      ctx.fillStyle = "#1f2933";
      ctx.textBaseline = "middle";
      ctx.fillText(l.text, sx + 22 * r, cy);
    });
  }
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}
