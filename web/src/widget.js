// The portal's one script tag:
//   <script src="https://HOST/chatbi/widget.js" data-token="..." data-lang="zh" data-position="right"></script>
// adds a floating chat button that opens a panel holding an iframe of embed.html (the chat in a compact
// layout). Everything lives in a shadow root, so no style or DOM leaks in either direction; the
// iframe's URL is derived from this script's own URL (works under a path prefix and from another origin);
// the token is handed over in the iframe URL's fragment, which browsers never send to a server.
(() => {
  const script = document.currentScript;
  if (!script || window.__chatbiWidget) return;
  window.__chatbiWidget = true;
  const base = new URL(".", script.src);
  const origin = base.origin;
  const token = script.dataset.token || "";
  const lang = script.dataset.lang === "en" || script.dataset.lang === "zh" ? script.dataset.lang : "";
  const left = script.dataset.position === "left";
  const zh = (lang || navigator.language || "").toLowerCase().startsWith("zh");
  const words = zh
    ? { open: "打开 chatbi 售后分析助手", close: "关闭 chatbi 助手", title: "chatbi 售后分析助手" }
    : { open: "Open the chatbi assistant", close: "Close the chatbi assistant", title: "chatbi assistant" };

  const host = document.createElement("div");
  host.setAttribute("data-chatbi-widget", "");
  const root = host.attachShadow({ mode: "open" });
  const side = left ? "left" : "right";
  const style = document.createElement("style");
  style.textContent = `
    :host { all: initial; }
    .launcher { position: fixed; bottom: 20px; ${side}: 20px; z-index: 2147483000; width: 56px; height: 56px;
      border-radius: 50%; border: 0; background: #0072b2; color: #fff; cursor: pointer; display: grid;
      place-items: center; box-shadow: 0 4px 14px rgba(0,0,0,.25); padding: 0; }
    .launcher:hover { background: #005a8c; }
    .launcher:focus-visible { outline: 3px solid #ffb000; outline-offset: 2px; }
    .launcher svg { width: 28px; height: 28px; fill: currentColor; }
    .panel { position: fixed; bottom: 88px; ${side}: 20px; z-index: 2147483000; width: 400px; height: 640px;
      max-width: calc(100vw - 40px); max-height: calc(100vh - 108px); border-radius: 14px; overflow: hidden;
      background: #fff; box-shadow: 0 12px 40px rgba(0,0,0,.28); border: 1px solid rgba(0,0,0,.08); }
    .panel[hidden] { display: none; }
    iframe { border: 0; width: 100%; height: 100%; display: block; color-scheme: light; }
    @media (max-width: 480px) {
      .panel { inset: 0; width: 100vw; height: 100vh; height: 100dvh; max-width: none; max-height: none;
        border-radius: 0; border: 0; }
      .panel:not([hidden]) + .launcher, .launcher[aria-expanded="true"] { display: none; }
    }
  `;
  const panel = document.createElement("div");
  panel.className = "panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", words.title);
  const launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "launcher";
  launcher.setAttribute("aria-label", words.open);
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-haspopup", "dialog");
  const svgNS = "http://www.w3.org/2000/svg";
  const icon = document.createElementNS(svgNS, "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(svgNS, "path");
  path.setAttribute(
    "d",
    "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 9h2V9H7v4zm4 0h2V7h-2v6zm4 0h2v-3h-2v3z",
  );
  icon.appendChild(path);
  launcher.appendChild(icon);
  root.append(style, panel, launcher);

  let frame = null;
  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = words.title;
      const fragment = new URLSearchParams();
      if (token) fragment.set("token", token);
      if (lang) fragment.set("lang", lang);
      frame.src = new URL(`embed.html#${fragment}`, base).toString();
      frame.referrerPolicy = "no-referrer";
      frame.allow = "clipboard-write";
      panel.appendChild(frame);
    }
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", words.close);
    frame.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", words.open);
    launcher.focus();
  }
  launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
  window.addEventListener("message", (event) => {
    // only the chat page in our own iframe may close the panel
    if (!frame || event.source !== frame.contentWindow || event.origin !== origin) return;
    if (event.data && event.data.type === "chatbi:close") close();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) close();
  });

  const mount = () => document.body.appendChild(host);
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
