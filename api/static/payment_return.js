/* The payment return page: polls the payment until it settles. */
(function () {
  "use strict";
  var root = document.getElementById("payment-return");
  if (!root) { return; }
  var paymentId = root.getAttribute("data-payment-id");
  var box = document.getElementById("payment-state");
  var message = document.getElementById("payment-message");
  var POLL_MS = 2000;
  var MAX_POLLS = 45;
  var polls = 0;
  var reported = false;
  var TEXT = {
    succeeded: "Оплата прошла. Запись подтверждена — ждём вас!",
    canceled: "Оплата отменена. Деньги не списаны; вы можете выбрать время и оплатить снова.",
    failed: "Платёж не удалось создать. Попробуйте оплатить ещё раз.",
    pending: "Ждём подтверждения оплаты от банка…",
    waiting_for_capture: "Оплата получена, подтверждаем запись…",
    creating: "Создаём платёж…",
    not_found: "Платёж не найден. Проверьте ссылку или начните запись заново.",
    invalid: "В ссылке нет номера платежа. Начните запись заново.",
    unknown: "Не удалось узнать статус оплаты. Обновите страницу чуть позже."
  };
  var FINAL = ["succeeded", "canceled", "failed", "not_found", "invalid", "unknown"];

  function show(state) {
    box.setAttribute("data-state", state);
    message.textContent = TEXT[state] || TEXT.unknown;
    var tracked = ["succeeded", "canceled", "failed", "pending", "waiting_for_capture", "not_found"];
    if (FINAL.indexOf(state) >= 0 && !reported && tracked.indexOf(state) >= 0) {
      reported = true;
      fetch("/api/public/events", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: "payment_return_viewed", properties: { payment_status: state } }),
        keepalive: true
      }).catch(function () { return null; });
    }
  }

  function poll() {
    polls += 1;
    fetch("/api/public/payments/" + encodeURIComponent(paymentId), {
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (response.status === 404) { show("not_found"); return null; }
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json().then(function (payment) {
        var state = payment && payment.status ? String(payment.status) : "unknown";
        show(TEXT[state] ? state : "unknown");
        if (FINAL.indexOf(state) < 0 && polls < MAX_POLLS) { setTimeout(poll, POLL_MS); }
        else if (FINAL.indexOf(state) < 0) { show("unknown"); }
      });
    }).catch(function () {
      if (polls < MAX_POLLS) { setTimeout(poll, POLL_MS); } else { show("unknown"); }
    });
  }

  if (!/^[0-9a-fA-F-]{36}$/.test(paymentId || "")) { show("invalid"); return; }
  poll();
})();
