/* Card payment with Stripe.js (or localstripe's stand-in in tests). No inline script: data comes
 * from data- attributes. Flow (docs/payments.md): confirmCardSetup collects the card into a
 * PaymentMethod on a SetupIntent, the form posts the SetupIntent id, the portal charges it; when
 * the bank asks for authentication, confirmCardPayment, then the return page asks Stripe. */
(function () {
  "use strict";

  function payForm(form) {
    var stripe = window.Stripe(form.dataset.publishableKey);
    var elements = stripe.elements();
    var card = elements.create("card");
    card.mount("#card-element");
    var errors = document.getElementById("card-errors");
    var button = document.getElementById("pay-button");
    var busy = false;

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      button.disabled = true;
      errors.textContent = "";
      stripe
        .confirmCardSetup(form.dataset.clientSecret, {
          payment_method: { card: card, billing_details: { name: form.dataset.billingName } },
        })
        .then(function (result) {
          if (result.error) {
            errors.textContent =
              (result.error.message || "Your card could not be used.") +
              " Please check the details, or reload the page to start again.";
            busy = false;
            button.disabled = false;
            return;
          }
          document.getElementById("id_setup_intent").value = result.setupIntent.id;
          form.submit();
        });
    });
  }

  function authenticate(box) {
    var stripe = window.Stripe(box.dataset.publishableKey);
    var status = document.getElementById("authenticate-status");
    status.textContent = "Waiting for your bank…";
    stripe.confirmCardPayment(box.dataset.clientSecret).then(function () {
      // Success or not, the return page asks Stripe what happened.
      window.location.assign(box.dataset.returnUrl);
    });
  }

  var form = document.getElementById("payment-form");
  if (form && window.Stripe) {
    payForm(form);
  }
  var box = document.getElementById("payment-authenticate");
  if (box && window.Stripe) {
    authenticate(box);
  }
})();
