// Keys and Chinese labels from docs/domain.md (shared): keys are used as-is in the API,
// labels are what the UI shows. Colours are the map's own choice.

/** Layers of the store, bottom-up in the five-level net, with their UI label. */
export const LAYER_LABELS = {
  districts: "区/县",
  streets: "街道",
  communities: "社区",
  compounds: "小区",
  grids: "网格",
  buildings: "楼栋",
  stations: "服务站点",
  network: "步行网络",
  special_areas: "专属区域",
};

/** The order of the layer panel: coarse to fine, then the service layers. */
export const LAYER_ORDER = ["districts", "streets", "communities", "compounds", "special_areas", "grids", "buildings", "stations", "network"];

/** Compound (小区) classes. */
export const COMPOUND_CLASSES = [
  { key: "commercial_residential", label: "商住小区", color: "#f4a582" },
  { key: "commercial_housing", label: "商品住宅", color: "#fdd49e" },
  { key: "old", label: "老旧小区", color: "#bcaaa4" },
  { key: "work_unit", label: "家属小区", color: "#c5b0d5" },
  { key: "resettlement", label: "安置小区", color: "#9ecae1" },
  { key: "self_built", label: "自建房片区", color: "#d9c27a" },
  { key: "affordable", label: "保障性住房", color: "#a1d99b" },
  { key: "urban_rural_fringe", label: "城乡接合部", color: "#c7e9c0" },
  { key: "elderly_care", label: "康养", color: "#f7b6d2" },
  { key: "other", label: "其他", color: "#d9d9d9" },
];

/** Service station kinds (GB 50180-2018 presets live on the server; the map only colours them). */
export const STATION_KINDS = [
  { key: "party_service_centre", label: "党群服务中心", color: "#d7191c" },
  { key: "community_service_station", label: "社区服务站", color: "#f46d43" },
  { key: "grid_station", label: "网格服务站", color: "#fdae61" },
  { key: "micro_station", label: "驿站", color: "#e6ab02" },
  { key: "canteen", label: "社区食堂 / 老年食堂", color: "#a6761d" },
  { key: "day_care", label: "日间照料中心", color: "#e7298a" },
  { key: "health_station", label: "社区卫生服务站", color: "#1b9e77" },
  { key: "clinic", label: "诊所 / 社区卫生服务中心", color: "#0f7a5c" },
  { key: "hospital", label: "医院", color: "#00441b" },
  { key: "kindergarten", label: "幼儿园", color: "#7570b3" },
  { key: "primary_school", label: "小学", color: "#4a3fb5" },
  { key: "middle_school", label: "初中", color: "#2b1d8f" },
  { key: "school", label: "学校", color: "#5e6ad2" },
  { key: "market", label: "菜市场 / 生鲜超市", color: "#66a61e" },
  { key: "other", label: "其他", color: "#777777" },
];

export const stationLabel = (kind) => STATION_KINDS.find((k) => k.key === kind)?.label ?? kind;
export const compoundClassLabel = (key) => COMPOUND_CLASSES.find((k) => k.key === key)?.label ?? key;

/** Households ramp for buildings (户). */
export const HOUSEHOLD_STEPS = [
  { min: 0, color: "#d0d0d0", label: "0 户 (非住宅)" },
  { min: 1, color: "#fee8c8", label: "1–19 户" },
  { min: 20, color: "#fdbb84", label: "20–59 户" },
  { min: 60, color: "#fc8d59", label: "60–119 户" },
  { min: 120, color: "#d7301f", label: "120 户以上" },
];

const NOT_A_WAY = new Set(["proposed", "construction", "abandoned", "disused", "razed", "bus_stop", "platform", "raceway", "bus_guideway"]);
const NOT_FOR_WALKING = new Set(["motorway", "motorway_link", "trunk", "trunk_link"]);
const FOOT_OK = new Set(["yes", "designated", "permissive"]);

/**
 * Mirrors GridMap.Core's Walkability rule so the map greys out exactly the lines
 * the service-circle walks ignore (foot=no, access=no|private, motorways without sidewalk).
 */
export function isWalkable(p) {
  const highway = p.highway;
  if (!highway || NOT_A_WAY.has(highway)) return false;
  if (p.foot === "no") return false;
  if ((p.access === "no" || p.access === "private") && !FOOT_OK.has(p.foot)) return false;
  if (NOT_FOR_WALKING.has(highway)) {
    const sidewalk = Object.entries(p).some(([k, v]) => k.startsWith("sidewalk") && !["no", "none", "separate"].includes(String(v)));
    return FOOT_OK.has(p.foot) || sidewalk;
  }
  return true;
}

/** The sidewalk tags a motorway or trunk may carry (OSM): isWalkable reads every `sidewalk*` key, a style expression these. */
const SIDEWALK_KEYS = ["sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right"];

/**
 * isWalkable as a MapLibre expression, for lines drawn from vector tiles (no per-feature JavaScript there). The same
 * rule; of the `sidewalk*` keys it knows the four OSM uses.
 */
export function walkableExpression() {
  const get = (k) => ["coalesce", ["get", k], ""];
  const oneOf = (k, values) => ["in", get(k), ["literal", values]];
  const footOk = oneOf("foot", [...FOOT_OK]);
  const sidewalk = ["any", ...SIDEWALK_KEYS.map((k) => ["all", ["has", k], ["!", ["in", ["to-string", ["get", k]], ["literal", ["no", "none", "separate"]]]]])];
  return ["all",
    ["has", "highway"],
    ["!", oneOf("highway", [...NOT_A_WAY])],
    ["!=", get("foot"), "no"],
    ["any", ["!", oneOf("access", ["no", "private"])], footOk],
    ["any", ["!", oneOf("highway", [...NOT_FOR_WALKING])], footOk, sidewalk]];
}

/** Footpaths are drawn dashed: they are the part of the net only pedestrians use. */
export const FOOTWAY_HIGHWAYS = ["footway", "path", "pedestrian", "steps", "cycleway", "bridleway", "corridor"];
