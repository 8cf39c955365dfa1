// The page before the app's script, which src/shell.rs writes into the page (`script`) with the names the page uses
// (`N`: shell::names) and the app's loader (`start`). Its comment lines are left out of the page.
(N, start) => {
  // Runs `f` once, after the next frame is painted or after 0.5 s (a hidden tab paints nothing).
  const afterPaint = (f) => {
    let done = false;
    const once = () => done || ((done = true), f());
    requestAnimationFrame(() => setTimeout(once));
    setTimeout(once, 500);
  };
  // The app's bytes do not compete with the first paint, nor its start with the first click: it is fetched once the
  // whole page is parsed (step 2 with it) and painted.
  addEventListener("DOMContentLoaded", () => afterPaint(start), { once: true });
  const shell = document.getElementById(N.shell);
  if (!shell) return;
  // Of use at step 1 only, where the head's script marked the root.
  if (!document.documentElement.hasAttribute(N.shown)) return shell.remove();
  const main = document.getElementById(N.main);
  // A returning user's answers are the app's to show. Only a page of the site already visited in this tab can have
  // saved some: on a first visit (a new navigation, no earlier page of the site in this tab) the storage, a
  // synchronous call to the browser, is not read. Were that wrong (the site left, then its address typed again), the
  // page's step 2 shows empty and the app brings the saved answers in when it takes over (src/shell.rs). Otherwise
  // the storage is read once step 1 is shown (it would cost the first paint), before the click.
  const visit = performance.getEntriesByType("navigation")[0];
  let draft = visit?.type === "navigate" && window.navigation?.entries().length === 1 ? false : undefined;
  const saved = () => {
    if (draft === undefined) {
      try { draft = sessionStorage.getItem(shell.getAttribute(N.draft)) !== null; } catch (e) { draft = true; }
    }
    return draft;
  };
  if (draft === undefined) afterPaint(saved);
  const screens = () => [...shell.querySelectorAll(`[${N.screen}]`)];
  const screen = (path) => {
    // Step 2 comes after this script (parsed after step 1 is shown), inert until first shown.
    for (const t of document.querySelectorAll(`template[${N.shown}]`)) { main.append(t.content); t.remove(); }
    return screens().find((s) => s.getAttribute(N.screen) === path);
  };
  const show = (path) => {
    for (const s of screens()) s.hidden = s.getAttribute(N.screen) !== path;
    const shown = screen(path);
    if (!shown) return;
    document.title = shown.getAttribute(N.title);
    shown.querySelector("h1").focus();
    // The top of a long screen is shown first; the rest, text until then, once it has been painted.
    const rest = shown.querySelector(`script[${N.later}]`);
    if (rest) afterPaint(() => { if (rest.isConnected) { rest.insertAdjacentHTML("beforebegin", rest.text); rest.remove(); } });
  };
  shell.addEventListener("click", (e) => {
    const el = e.target.closest(`[${N.to}], a[href^='/'], button[type=button][id]`);
    if (!el) return;
    e.preventDefault();
    const to = saved() ? null : el.getAttribute(N.to) || el.getAttribute("href");
    if (!to) shell.setAttribute(N.click, el.id); // the app clicks it again when it takes over
    else if (!screen(to)) location.assign(to);
    else { history.pushState(null, "", to); show(to); }
  });
  shell.addEventListener("submit", (e) => { e.preventDefault(); shell.setAttribute(N.click, e.submitter?.id || ""); });
  // A press not yet released when the app takes over ends on the app's button (src/shell.rs).
  shell.addEventListener("pointerdown", (e) => {
    const el = e.target.closest("button[id], a[id]");
    if (el) shell.setAttribute(N.press, el.id);
  });
  for (const end of ["pointerup", "pointercancel"]) addEventListener(end, () => shell.removeAttribute(N.press), true);
  // A long list's options are drawn on first use (src/fields.rs).
  const drawOptions = (e) => {
    const waiting = e.target.closest?.("select")?.querySelector(`template[${N.options}]`);
    if (waiting) waiting.replaceWith(waiting.content);
  };
  shell.addEventListener("pointerdown", drawOptions, true);
  shell.addEventListener("focusin", drawOptions);
  addEventListener("popstate", () => shell.isConnected && show(location.pathname));
}
