/* The payment return page: polls the payment until it settles, then says what it means for
   the appointment (service, date and time in the practice's timezone) in plain words. */
(function () {
  "use strict";
  var root = document.getElementById("payment-return");
  if (!root) { return; }
  var paymentId = root.getAttribute("data-payment-id");
  var box = document.getElementById("payment-state");
  var message = document.getElementById("payment-message");
  var details = document.getElementById("payment-details");
  var next = document.getElementById("payment-next");
  var POLL_MS = 2000;
  var MAX_POLLS = 45;
  var polls = 0;
  var reported = false;
  var TEXT = {
    succeeded: "Оплата прошла. Запись подтверждена — ждём вас!",
    paid_unconfirmed: "Оплата получена. Администратор свяжется с вами, чтобы подтвердить время записи.",
    canceled: "Оплата отменена. Деньги не списаны; вы можете выбрать время и оплатить снова.",
    failed: "Платёж не удалось создать. Попробуйте оплатить ещё раз.",
    pending: "Ждём подтверждения оплаты от банка…",
    waiting_for_capture: "Оплата получена, подтверждаем запись…",
    creating: "Создаём платёж…",
    refund_pending: "К сожалению, сохранить за вами это время не получилось, поэтому мы возвращаем оплату полностью.",
    refunded: "К сожалению, сохранить за вами это время не получилось, поэтому мы вернули оплату полностью.",
    refund_failed: "К сожалению, сохранить за вами это время не получилось. Мы вернём оплату полностью.",
    not_found: "Платёж не найден. Проверьте ссылку или начните запись заново.",
    invalid: "В ссылке нет номера платежа. Начните запись заново.",
    unknown: "Не удалось узнать статус оплаты. Обновите страницу чуть позже."
  };
  // A payment paid back for another reason than a lost time (refund_reason from the API).
  var REFUND_TEXT = {
    already_paid: {
      refund_pending: "Эта запись уже была оплачена, поэтому второй платёж мы возвращаем.",
      refunded: "Эта запись уже была оплачена, поэтому второй платёж мы вернули.",
      refund_failed: "Эта запись уже была оплачена, поэтому второй платёж мы вернём."
    },
    by_staff: {
      refund_pending: "Мы возвращаем оплату за эту запись.",
      refunded: "Мы вернули оплату за эту запись.",
      refund_failed: "Мы вернём оплату за эту запись."
    }
  };
  var MONEY_BACK = "Деньги вернутся на карту или счёт, с которого вы платили: обычно за несколько дней, иногда банку нужно до 30 дней.";
  var NEXT = {
    confirmed: "Психолог будет ждать вас в назначенное время. Если вы оставили почту, мы отправили туда подтверждение и файл для календаря. Чтобы перенести или отменить запись, ответьте на это письмо или напишите администратору.",
    refund: MONEY_BACK + " Администратор свяжется с вами, чтобы подобрать другое удобное время.",
    refund_failed: "Администратор свяжется с вами, чтобы вернуть деньги и подобрать другое удобное время.",
    already_paid: "Ваша запись остаётся в силе — ждём вас в назначенное время. " + MONEY_BACK,
    by_staff: MONEY_BACK + " Если у вас есть вопросы, напишите администратору."
  };
  var REFUNDS = ["refund_pending", "refunded", "refund_failed"];
  // Polling stops at these; refund_pending goes on quietly until the money is back.
  var FINAL = ["succeeded", "canceled", "failed", "refunded", "refund_failed", "not_found", "invalid", "unknown"];

  function rubles(amount) {
    if (!amount || !/^\d+\.\d{2}$/.test(String(amount.value))) { return ""; }
    var parts = String(amount.value).split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0");
    return whole + (parts[1] === "00" ? "" : "," + parts[1]) + "\u00a0₽";
  }

  function setText(id, text) {
    document.getElementById(id).textContent = text;
  }

  function describe(payment) {
    var state = payment && payment.status ? String(payment.status) : "unknown";
    if (!TEXT[state]) { return { state: "unknown", text: TEXT.unknown }; }
    var booked = Boolean(payment.service_title && payment.local_time);
    if (state === "succeeded" && payment.appointment_status !== "confirmed") {
      return { state: state, text: TEXT.paid_unconfirmed, show: booked, paid: "Оплачено" };
    }
    if (state === "succeeded") {
      // The headline, then service and Moscow time on their own lines: read at a glance.
      return {
        state: state,
        text: booked ? "Оплата прошла, запись подтверждена" : TEXT.succeeded,
        show: booked, paid: "Оплачено", next: NEXT.confirmed
      };
    }
    if (REFUNDS.indexOf(state) >= 0) {
      var reason = REFUND_TEXT[payment.refund_reason] ? payment.refund_reason : "";
      var next = reason ? NEXT[reason] : (state === "refund_failed" ? NEXT.refund_failed : NEXT.refund);
      return {
        state: state,
        text: reason ? REFUND_TEXT[reason][state] : TEXT[state],
        show: booked, paid: state === "refunded" ? "Вернули" : "Возвращаем", next: next
      };
    }
    return { state: state, text: TEXT[state] };
  }

  function show(state, payment) {
    var view = payment ? describe(payment) : { state: state, text: TEXT[state] || TEXT.unknown };
    box.setAttribute("data-state", view.state);
    message.textContent = view.text;
    details.hidden = !view.show;
    if (view.show) {
      setText("payment-service", payment.service_title);
      setText("payment-when", payment.local_time);
      var kind = payment.kind === "deposit" && view.paid === "Оплачено" ? " (предоплата)" : "";
      setText("payment-paid-label", view.paid);
      setText("payment-paid", rubles(payment.amount) + kind);
      document.getElementById("payment-paid-row").hidden = !rubles(payment.amount);
    }
    next.hidden = !view.next;
    next.textContent = view.next || "";
    var tracked = ["succeeded", "canceled", "failed", "pending", "waiting_for_capture", "not_found"];
    if (FINAL.indexOf(view.state) >= 0 && !reported && tracked.indexOf(view.state) >= 0) {
      reported = true;
      fetch("/api/public/events", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: "payment_return_viewed", properties: { payment_status: view.state } }),
        keepalive: true
      }).catch(function () { return null; });
    }
    return view.state;
  }

  function poll() {
    polls += 1;
    fetch("/api/public/payments/" + encodeURIComponent(paymentId), {
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (response.status === 404) { show("not_found"); return null; }
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json().then(function (payment) {
        var state = show(null, payment);
        if (FINAL.indexOf(state) < 0 && polls < MAX_POLLS) { setTimeout(poll, POLL_MS); }
        else if (FINAL.indexOf(state) < 0 && state !== "refund_pending") { show("unknown"); }
      });
    }).catch(function () {
      if (polls < MAX_POLLS) { setTimeout(poll, POLL_MS); } else { show("unknown"); }
    });
  }

  if (!/^[0-9a-fA-F-]{36}$/.test(paymentId || "")) { show("invalid"); return; }
  poll();
})();
