"""One error tree for the whole domain.

Every error has a stable machine ``code`` and a ``message`` that is safe to show a client: it
never contains personal data, provider messages or secrets. The inbound side maps the
categories (the direct subclasses of :class:`DomainError`) to its own status codes.
"""

from __future__ import annotations


class DomainError(Exception):
    code: str = "domain_error"
    message: str = "The request could not be completed."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


# Categories -------------------------------------------------------------------------------


class NotFound(DomainError):
    code = "not_found"
    message = "The requested resource does not exist."


class ValidationFailed(DomainError):
    code = "validation_failed"
    message = "The request is not valid."


class Conflict(DomainError):
    code = "conflict"
    message = "The request conflicts with the current state."


class Forbidden(DomainError):
    code = "forbidden"
    message = "You are not allowed to do this."


class ProviderUnavailable(DomainError):
    """An external provider did not answer in time; the operation can be retried."""

    code = "provider_unavailable"
    message = "The payment provider is temporarily unavailable; try again later."

    def __init__(self, retry_after_seconds: int = 30, message: str | None = None) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(message)


class ProviderRejected(DomainError):
    """An external provider refused our request; retrying the same request will not help."""

    code = "provider_rejected"
    message = "The payment provider rejected the request."


# Concrete errors ---------------------------------------------------------------------------


class ServiceNotFound(NotFound):
    code = "service_not_found"
    message = "No active service has this slug."


class SlotNotFound(NotFound):
    code = "slot_not_found"
    message = "The slot does not exist."


class AppointmentNotFound(NotFound):
    code = "appointment_not_found"
    message = "The appointment does not exist."


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    message = "The payment does not exist."


class WaitlistRequestNotFound(NotFound):
    code = "waitlist_request_not_found"
    message = "The waitlist request does not exist."


class WithdrawalTokenNotFound(NotFound):
    # Says nothing more than "not found": whether a token never existed, is malformed or
    # belonged to someone is nobody's business.
    code = "not_found"
    message = "Not found."


class ContactErased(NotFound):
    code = "contact_erased"
    message = "The contact was erased (consent withdrawn or retention period over)."


class SlotNotAvailable(Conflict):
    code = "slot_not_available"
    message = "The slot is no longer free."


class TooManyHolds(Conflict):
    code = "too_many_holds"
    message = (
        "У вас уже есть неоплаченные брони. Оплатите одну из них или дождитесь, "
        "пока бронь истечёт, и попробуйте снова."
    )


class SlotInPast(ValidationFailed):
    code = "slot_in_past"
    message = "The slot has already started."


class AppointmentNotPayable(Conflict):
    code = "appointment_not_payable"
    message = "The appointment cannot be paid: it has expired, was cancelled or is already paid."


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    message = "A request with this Idempotency-Key is still being processed."


class IdempotencyKeyReused(ValidationFailed):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used with a different request body."


class LivePaymentExists(Conflict):
    code = "payment_in_progress"
    message = "The appointment already has a payment in progress; finish or cancel it first."


class DepositNotAvailable(ValidationFailed):
    code = "deposit_not_available"
    message = "This service takes no deposit; pay in full."


class InvalidIdempotencyKey(ValidationFailed):
    code = "invalid_idempotency_key"
    message = "Idempotency-Key must be 1 to 64 characters of A-Z a-z 0-9 _ - . :"


class WebhookSourceForbidden(Forbidden):
    code = "webhook_source_forbidden"
    message = "Notifications are accepted only from the payment provider's addresses."


class InvalidStatusTransition(Conflict):
    code = "invalid_status_transition"
    message = "This status change is not allowed."


class ConsentRequired(ValidationFailed):
    code = "consent_required"
    message = "Consent to the processing of personal data is required."


class UnknownConsentVersion(ValidationFailed):
    code = "unknown_consent_version"
    message = "The consent text version is unknown."


class InvalidContact(ValidationFailed):
    code = "invalid_contact"
    message = "The contact is not valid."


class ContactRequired(ValidationFailed):
    code = "contact_required"
    message = "At least one contact (email or phone) is required."


class InvalidMoney(ValidationFailed):
    code = "invalid_money"
    message = "The amount is not valid."


class InvalidTrackingEvent(ValidationFailed):
    code = "invalid_tracking_event"
    message = "The tracking event is not allowed."


class RoleRequired(Forbidden):
    code = "role_required"
    message = "Your role does not allow this action."


class NoWaitlistRequestToClaim(Conflict):
    code = "no_waitlist_request_to_claim"
    message = "There is no new waitlist request to claim."


class WaitlistRequestAlreadyClaimed(Conflict):
    code = "waitlist_request_already_claimed"
    message = "This waitlist request is no longer new: someone has already taken it."


class NotAssignedToYou(Forbidden):
    code = "not_assigned_to_you"
    message = "This waitlist request is assigned to another staff member."


class OutcomeNotAllowed(ValidationFailed):
    code = "outcome_not_allowed"
    message = "This outcome does not fit the chosen status."


class InvalidExportRange(ValidationFailed):
    code = "invalid_export_range"
    message = "The start date must not be after the end date."


class MailServerUnavailable(ProviderUnavailable):
    """The mail server could not be reached or answered with a temporary error; retry later."""

    code = "mail_server_unavailable"
    message = "The mail server is temporarily unavailable."


class MailServerInsecure(MailServerUnavailable):
    """The mail server offers no STARTTLS where it is required: nothing is sent in clear text.

    Retried like any unavailable server, so the message goes out once the server is fixed."""

    code = "mail_server_insecure"
    message = "The mail server does not offer STARTTLS; the message was not sent in clear text."


class MailRejected(ProviderRejected):
    """The mail server refused the message for good (for example, the address does not exist)."""

    code = "mail_rejected"
    message = "The mail server rejected the message."


class ExportTooLarge(ValidationFailed):
    code = "export_too_large"
    message = "Too many rows for an export from the admin; use the export-leads command."


class StaffAccountNotFound(NotFound):
    code = "staff_account_not_found"
    message = "There is no such staff account."


class LastAdmin(Conflict):
    code = "last_admin"
    message = "The last active admin can be neither demoted nor deactivated."


class OfferNotFound(NotFound):
    # Whether a token never existed or was mistyped is nobody's business.
    code = "offer_not_found"
    message = "Ссылка на предложение не найдена. Откройте её прямо из письма."


class OfferExpired(Conflict):
    code = "offer_expired"
    message = (
        "Время, на которое действовало предложение, истекло: окно предложено следующему "
        "человеку в листе ожидания. Ваша заявка остаётся в силе."
    )


class OfferTaken(Conflict):
    code = "offer_taken"
    message = "Это время уже занято. Ваша заявка остаётся в листе ожидания."


class NoOpenOffer(Conflict):
    code = "no_open_offer"
    message = "The waitlist request has no open offer."
