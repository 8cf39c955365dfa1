// The account space's sign-in with the CPS card: the local agent (its address in the form) verifies the PIN typed
// here (it goes to the agent only, never to the server), then signs the server's challenge for this page's origin;
// the proof is posted, and the server checks it whole.
(() => {
  const form = document.getElementById("carte-formulaire");
  const button = document.getElementById("avec-carte");
  const pin = document.getElementById("code-porteur");
  const message = document.getElementById("carte-message");
  if (!form || !button || !pin) return;
  const agent = form.dataset.agent;
  button.hidden = false;
  message.textContent = "";
  const say = (text) => { message.textContent = text; button.disabled = false; };
  const json = async (url, body) => {
    const answer = await fetch(url, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!answer.ok) throw answer;
    return answer.json();
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    message.textContent = "Lecture de la carte…";
    let reader;
    try {
      const status = await json(`${agent}/v1/status`);
      reader = (status.lecteurs || []).find((l) => l.carte_presente)?.nom;
    } catch (e) {
      return say("Le logiciel de lecture de carte ne répond pas : vérifiez qu'il est lancé, ou connectez-vous avec votre identifiant et votre mot de passe.");
    }
    if (!reader) return say("Aucune carte n'est insérée dans un lecteur : insérez votre carte CPS, puis réessayez.");
    const card = `${agent}/v1/cards/${encodeURIComponent(reader)}`;
    try {
      await json(`${card}/verify-pin`, { pin: pin.value, confirmer_dernier_essai: false });
    } catch (e) {
      pin.value = "";
      return say("Le code porteur n'a pas été accepté par la carte : vérifiez-le et réessayez (la carte se bloque après plusieurs codes faux).");
    }
    pin.value = "";
    try {
      const challenge = await fetch("/api/card-challenges", { method: "POST" });
      if (!challenge.ok) throw challenge;
      const { nonce } = await challenge.json();
      const proof = await json(`${card}/authenticate`, { nonce, origin: location.origin });
      form.elements.preuve.value = JSON.stringify(proof);
      form.submit();
    } catch (e) {
      say("La carte n'a pas pu signer la demande de connexion : réessayez, ou connectez-vous avec votre identifiant et votre mot de passe.");
    }
  });
})();
