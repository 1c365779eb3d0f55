/* The offer page: the button takes the slot, then creates the payment and goes to YooKassa. */
(function () {
  "use strict";
  var root = document.getElementById("offer");
  if (!root) { return; }
  var accept = document.getElementById("offer-accept");
  var pay = document.getElementById("offer-pay");
  var button = accept || pay;
  if (!button) { return; }
  var token = root.getAttribute("data-token") || "";
  var endpoint = root.getAttribute("data-endpoint");
  var busy = document.getElementById("offer-busy");
  var error = document.getElementById("offer-error");
  var intro = document.getElementById("offer-intro");
  var gone = document.getElementById("offer-gone");
  var label = button.textContent;
  var TEXT = {
    accepting: "Закрепляем время за вами…",
    paying: "Готовим оплату…",
    offer_expired: ["Срок предложения истёк.",
      "Время предложено следующему человеку в листе ожидания. Ваша заявка остаётся в силе: " +
      "мы напишем, как только освободится другое подходящее время."],
    offer_taken: ["Это время уже занято.",
      "Ваша заявка остаётся в листе ожидания: мы напишем, как только освободится другое " +
      "подходящее время."],
    offer_not_found: ["Ссылка не работает.",
      "Откройте ссылку прямо из письма или позвоните администратору."],
    rate_limited: "Слишком много попыток. Подождите минуту и нажмите кнопку ещё раз.",
    payment_failed: "Время закреплено за вами, но оплату сейчас создать не удалось. " +
      "Обновите страницу через минуту и нажмите «Перейти к оплате».",
    failed: "Не получилось: сервер не ответил. Попробуйте ещё раз через минуту."
  };

  function fail(text) {
    button.disabled = false;
    button.textContent = label;
    busy.hidden = true;
    error.textContent = text;
    error.hidden = false;
  }

  function showGone(code) {
    var words = TEXT[code] || TEXT.offer_taken;
    document.getElementById("offer-gone-title").textContent = words[0];
    document.getElementById("offer-gone-text").textContent = words[1];
    intro.hidden = true;
    gone.hidden = false;
    gone.focus();
  }

  function createPayment(appointmentId) {
    busy.textContent = TEXT.paying;
    busy.hidden = false;
    return fetch("/api/public/payments", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        // One payment per appointment, however often the button is pressed.
        "Idempotency-Key": "offer-" + appointmentId
      },
      body: JSON.stringify({ appointment_id: appointmentId })
    }).then(function (response) {
      if (response.status !== 201) { fail(TEXT.payment_failed); return null; }
      return response.json();
    }).then(function (payment) {
      if (!payment) { return; }
      var url = payment.confirmation && payment.confirmation.confirmation_url;
      if (url) { window.location.assign(url); return; }
      window.location.assign("/booking/payment-return/?payment_id=" +
        encodeURIComponent(payment.payment_id));
    });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    error.hidden = true;
    if (pay) {
      createPayment(root.getAttribute("data-appointment-id")).catch(function () {
        fail(TEXT.payment_failed);
      });
      return;
    }
    button.textContent = TEXT.accepting;
    fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ token: token })
    }).then(function (response) {
      if (response.status === 201) {
        return response.json().then(function (hold) {
          return createPayment(hold.appointment_id);
        });
      }
      if (response.status === 429) { fail(TEXT.rate_limited); return null; }
      if (response.status === 404 || response.status === 409) {
        return response.json().then(function (problem) { showGone(problem.code); });
      }
      fail(TEXT.failed);
      return null;
    }).catch(function () { fail(TEXT.failed); });
  });
}());
