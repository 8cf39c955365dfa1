// The new password's strength meter in the account space: as at step 3, red until every rule holds, green then,
// with its checklist. The verdict is the server's (the same rules and zxcvbn, with the account's own words), asked
// a moment after the last keystroke; the form works without it.
(() => {
  const input = document.getElementById("mot_de_passe");
  const meter = document.getElementById("jauge");
  if (!input || !meter || !input.form) return;
  const bar = meter.querySelector(".jauge-barre");
  const text = meter.querySelector(".jauge-texte");
  let timer, asked = 0;
  const show = (v) => {
    meter.className = "jauge " + (v.satisfaisant ? "satisfaisante" : "insuffisante");
    meter.setAttribute("aria-valuenow", String(v.score ?? 0));
    meter.setAttribute("aria-valuetext", v.texte);
    bar.dataset.niveau = String(v.niveau);
    text.textContent = v.texte;
    for (const r of v.regles) {
      const li = document.querySelector(`[data-regle="${r.regle}"]`);
      if (!li) continue;
      const state = r.tient === true ? "ok" : r.tient === false ? "ko" : "attente";
      li.className = "regle " + state;
      li.querySelector(".marque-regle").textContent = state === "ok" ? "✓" : state === "ko" ? "✗" : "…";
      li.querySelector(".sr-only").textContent =
        state === "ok" ? " : respectée" : state === "ko" ? " : non respectée" : " : en cours d'évaluation";
    }
  };
  const rate = async () => {
    const seq = ++asked;
    const body = new URLSearchParams({ mot_de_passe: input.value, csrf: input.form.elements.csrf.value });
    try {
      const answer = await fetch("/compte/force", { method: "POST", body });
      if (answer.ok && seq === asked) show(await answer.json());
    } catch (e) {
      // The meter waits; the server checks the password when the form is sent.
    }
  };
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(rate, 150); });
})();
