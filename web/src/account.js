// Who is signed in, and what that lets them do on this map. The server decides every write (docs/security.md); the
// map only hides the tools a role cannot use, so nobody meets a refusal they could not have avoided.
import { getJson, postJson, setAntiforgery } from "./api.js";
import { problemText } from "./i18n.js";

export const ROLE_LABELS = { admin: "管理员", planner: "规划员", organisation: "组织部门", worker: "网格员", viewer: "查看者" };

/** The roles that may use each tool of the map. */
const TOOLS = {
  partition: ["admin", "planner"],
  planner: ["admin", "planner"],
  sites: ["admin", "organisation"],
};

let me = { signed_in: false, open: true };

/** The caller as GET /api/auth/me describes them. */
export const account = () => me;

/** Whether the signed-in role may use a tool (`partition`, `planner`, `sites`). */
export const may = (tool) => (TOOLS[tool] ?? []).includes(me.role);

/** Whether the signed-in role writes a layer (within its scope), as GET /api/auth/me's `writes` says. */
export const mayWrite = (layer) => (me.writes ?? []).includes(layer);

export async function loadAccount() {
  me = await getJson("/api/auth/me");
  setAntiforgery(me.antiforgery);
  return me;
}

const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
};

/**
 * The account button in the bar and its dialogs: 登录 for visitors; the name and role, 修改密码 and 退出 once signed in.
 * Signing in or out reloads the page, so every layer is drawn again as the new role may see it.
 */
export function setupAccount(container, { required = false, onGrid = null } = {}) {
  container.replaceChildren();
  if (!me.signed_in) {
    const button = el("button", { type: "button", class: "bar-button account-button", onclick: () => openSignIn() }, "登录");
    container.append(button);
    if (required) openSignIn({ required: true });
    return;
  }
  const menu = el("div", { class: "account-menu", hidden: true },
    me.scope ? el("p", { class: "account-scope" }, me.scope_name ? `范围 ${me.scope_name} (${me.scope})` : `范围 ${me.scope}`) : null,
    // A worker's own grids, each one tap away.
    me.grids?.length ? el("div", { class: "account-grids" }, el("p", { class: "account-scope" }, "我的网格"),
      ...me.grids.map((code) => el("button", {
        type: "button", class: "bar-button account-grid", onclick: () => { menu.hidden = true; onGrid?.(code); },
      }, code))) : null,
    el("button", { type: "button", class: "bar-button", onclick: () => openPassword() }, "修改密码"),
    el("button", { type: "button", class: "bar-button account-sign-out", onclick: () => signOut() }, "退出登录"));
  const button = el("button", {
    type: "button", class: "bar-button account-button", "aria-haspopup": "true", "aria-expanded": "false",
    onclick: () => {
      menu.hidden = !menu.hidden;
      button.setAttribute("aria-expanded", String(!menu.hidden));
    },
  }, `${me.name} · ${ROLE_LABELS[me.role] ?? me.role}`);
  if (me.password_generated) {
    // A generated one-time password is still in use: say so where the account is, without blocking the map.
    button.classList.add("account-warn");
    button.title = "请修改系统生成的初始密码";
    menu.prepend(el("p", { class: "account-scope account-warn-text" }, "正在使用系统生成的初始密码"));
  }
  container.append(button, menu);
}

function dialog(title, fields, submitText, onSubmit, { cancellable = true, note = null } = {}) {
  const error = el("p", { class: "error", role: "alert", hidden: true });
  const form = el("form", { class: "account-form" },
    el("h2", {}, title),
    note ? el("p", { class: "account-note" }, note) : null,
    ...fields.map(([name, label, type, autocomplete]) =>
      el("label", {}, label, el("input", { name, type, autocomplete, required: true }))),
    error,
    el("div", { class: "partition-actions" },
      el("button", { type: "submit", class: "primary" }, submitText),
      cancellable ? el("button", { type: "button", class: "account-cancel", onclick: () => box.close() }, "取消") : null));
  const box = el("dialog", { class: "account-dialog", "aria-label": title }, form);
  if (!cancellable) box.addEventListener("cancel", (e) => e.preventDefault());
  box.addEventListener("close", () => box.remove());
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = Object.fromEntries(new FormData(form));
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    error.hidden = true;
    try {
      await onSubmit(values);
    } catch (err) {
      error.textContent = problemText(err);
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  document.body.append(box);
  box.showModal();
  box.querySelector("input")?.focus();
  return box;
}

function openSignIn({ required = false } = {}) {
  dialog("登录 GridMap", [["name", "账号", "text", "username"], ["password", "密码", "password", "current-password"]], "登录",
    async ({ name, password }) => {
      await postJson("/api/auth/sign-in", { name, password });
      location.reload();
    }, { cancellable: !required, note: required ? "此地图需要登录后查看" : null });
}

function openPassword() {
  dialog("修改密码", [["current", "当前密码", "password", "current-password"], ["new", "新密码（至少 10 位）", "password", "new-password"]], "保存",
    async ({ current, new: next }) => {
      await postJson("/api/auth/password", { current, new: next });
      // The session ends with the old password: sign in with the new one.
      location.reload();
    }, { note: me.password_generated ? "您正在使用系统生成的一次性密码，请设置自己的密码" : null });
}

async function signOut() {
  try {
    await postJson("/api/auth/sign-out");
  } finally {
    // Whatever the answer, show the map as the server now sees this browser.
    location.reload();
  }
}
