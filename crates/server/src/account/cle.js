// The account space's passkeys and security keys (WebAuthn): giving one as the second factor (sign-in, or a change
// of the account's factors), and adding one. Served only on those pages; without it (or without JavaScript) the
// pages' code forms work alone. The server makes the options and checks what the browser answers: this script only
// relays them.
(() => {
  const P = window.PublicKeyCredential;
  const supported = P && P.parseRequestOptionsFromJSON && P.parseCreationOptionsFromJSON;
  // One ceremony behind `button`: `options()` then the browser's `run`, its answer posted by `form` in `cle`.
  const ceremony = (form, button, message, options, run, failure) => {
    if (!form || !supported) return;
    button.hidden = false;
    message.textContent = "";
    const say = (text) => { message.textContent = text; button.disabled = false; };
    button.addEventListener("click", async () => {
      button.disabled = true;
      message.textContent = "Suivez les indications de votre navigateur ou de votre clé…";
      let json;
      try {
        json = await options(form);
      } catch (e) {
        return say("Le service ne répond pas : vérifiez votre connexion, puis réessayez.");
      }
      if (!json) return say("Votre clé d'accès ne peut pas être utilisée pour le moment : saisissez plutôt un code ci-dessous.");
      try {
        const credential = await run(json);
        form.elements.cle.value = JSON.stringify(credential.toJSON());
        form.submit();
      } catch (e) {
        say(failure);
      }
    });
  };
  // The second factor: the options asked of the server for this session.
  ceremony(
    document.getElementById("cle-formulaire"),
    document.getElementById("utiliser-cle"),
    document.getElementById("cle-message"),
    async (form) => {
      const body = new URLSearchParams({ csrf: form.elements.csrf.value });
      const answer = await fetch("/compte/cle/options", { method: "POST", body });
      return answer.ok ? answer.json() : null;
    },
    (json) => navigator.credentials.get({ publicKey: P.parseRequestOptionsFromJSON(json) }),
    "La clé d'accès n'a pas été utilisée (opération annulée ou délai dépassé) : réessayez, ou saisissez un code ci-dessous.",
  );
  // A new key: the options are in the page.
  const creation = document.getElementById("cle-creation");
  ceremony(
    creation && document.getElementById("cle-ajout"),
    document.getElementById("creer-cle"),
    document.getElementById("cle-message"),
    async () => JSON.parse(creation.textContent),
    (json) => navigator.credentials.create({ publicKey: P.parseCreationOptionsFromJSON(json) }),
    "La clé d'accès n'a pas été créée (opération annulée, délai dépassé ou clé déjà enregistrée) : réessayez.",
  );
})();
