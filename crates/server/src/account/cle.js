// The account space's second factor with a passkey or security key (WebAuthn). Served only where the account has a
// key; without it (or without JavaScript) the page's code form works alone. The server makes the options and checks
// the assertion: this script only relays them.
(() => {
  const form = document.getElementById("cle-formulaire");
  const button = document.getElementById("utiliser-cle");
  const message = document.getElementById("cle-message");
  const P = window.PublicKeyCredential;
  if (!form || !P || !P.parseRequestOptionsFromJSON) return;
  button.hidden = false;
  message.textContent = "";
  const say = (text) => { message.textContent = text; button.disabled = false; };
  button.addEventListener("click", async () => {
    button.disabled = true;
    message.textContent = "Suivez les indications de votre navigateur ou de votre clé…";
    const csrf = form.elements.csrf.value;
    let options;
    try {
      const answer = await fetch("/compte/cle/options", { method: "POST", body: new URLSearchParams({ csrf }) });
      if (!answer.ok) return say("Votre clé d'accès ne peut pas être utilisée pour le moment : saisissez plutôt un code ci-dessous.");
      options = await answer.json();
    } catch (e) {
      return say("Le service ne répond pas : vérifiez votre connexion, puis réessayez.");
    }
    try {
      const credential = await navigator.credentials.get({ publicKey: P.parseRequestOptionsFromJSON(options) });
      form.elements.cle.value = JSON.stringify(credential.toJSON());
      form.submit();
    } catch (e) {
      say("La clé d'accès n'a pas été utilisée (opération annulée ou délai dépassé) : réessayez, ou saisissez un code ci-dessous.");
    }
  });
})();
