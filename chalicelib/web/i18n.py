"""Languages of the customer web: Swedish first, English on request.

The language is, in order: an explicit `?lang=`, the visitor's earlier explicit choice (kept in
the session), the browser's `Accept-Language` when it prefers English over Swedish, else
Swedish. Every user-facing text lives in TEXTS as (Swedish, English).
"""

from __future__ import annotations

from typing import Literal

Language = Literal["sv", "en"]
LANGUAGES: tuple[Language, ...] = ("sv", "en")
DEFAULT: Language = "sv"


def as_language(value: str | None) -> Language | None:
    if value == "sv":
        return "sv"
    if value == "en":
        return "en"
    return None


def preferred_by_browser(accept_language: str | None) -> Language | None:
    """Swedish or English, whichever the header ranks higher; None if it names neither."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate(accept_language[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        language = as_language(tag.strip().lower().split("-")[0])
        if language is None:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def choose_language(
    query_lang: str | None, session_lang: str | None, accept_language: str | None
) -> Language:
    return (
        as_language(query_lang)
        or as_language(session_lang)
        or preferred_by_browser(accept_language)
        or DEFAULT
    )


def text(language: Language, key: str, **values: object) -> str:
    swedish, english = TEXTS[key]
    template = english if language == "en" else swedish
    return template.format(**values) if values else template


def category_name(language: Language, category: str) -> str:
    return text(language, f"category.{category}")


TEXTS: dict[str, tuple[str, str]] = {
    "site.name": ("Stadsnätsfabriken", "Stadsnätsfabriken"),
    "skip": ("Hoppa till innehållet", "Skip to content"),
    "switch_language": ("In English", "På svenska"),
    "footer": (
        "Beställningar förmedlas till tjänsteleverantören du väljer.",
        "Orders are passed on to the service provider you choose.",
    ),
    # offers
    "offers.title": ("Tjänster i {network}", "Services in {network}"),
    "offers.identified": (
        "Vi har identifierat ditt uttag. Erbjudandena nedan gäller din bostad.",
        "We have identified your outlet. The offers below apply to your home.",
    ),
    "offers.not_home": ("Jag beställer inte hemifrån", "I am not ordering from home"),
    "offers.not_home_help": (
        "Välj det om du beställer till en annan adress än den du sitter vid nu.",
        "Choose this if you are ordering for another address than the one you are at now.",
    ),
    "offers.port_message": ("Meddelande från stadsnätet:", "Message from the city network:"),
    "offers.port_unknown": (
        "Vi kunde inte läsa av ditt uttag just nu. Du kan ändå välja en tjänst; vi kontrollerar "
        "den när du går vidare.",
        "We could not read your outlet's status right now. You can still choose a service; we "
        "check it when you continue.",
    ),
    "offers.manual": (
        "Vi kunde inte identifiera ditt uttag. Du kan ändå beställa: du fyller i din adress och "
        "tjänsteleverantören hanterar beställningen manuellt.",
        "We could not identify your outlet. You can still order: you enter your address and "
        "the service provider handles the order manually.",
    ),
    "offers.none": (
        "Det finns inga tjänster att beställa här just nu.",
        "There are no services to order here right now.",
    ),
    "offers.choose_network": ("Välj ditt stadsnät", "Choose your city network"),
    "offers.choose_network_help": (
        "Vi kunde inte identifiera ditt uttag. Välj stadsnätet där tjänsten ska levereras.",
        "We could not identify your outlet. Choose the city network where the service is to "
        "be delivered.",
    ),
    "offers.provider": ("Leverantör", "Provider"),
    "offers.price": ("{price} kr/mån", "SEK {price}/month"),
    "offers.binding": ("Bindningstid {months} mån", "Commitment {months} months"),
    "offers.no_binding": ("Ingen bindningstid", "No commitment"),
    "offers.order": ("Beställ {name}", "Order {name}"),
    "offers.active": ("Redan aktiv på ditt uttag", "Already active on your outlet"),
    "category.internet": ("Internet", "Internet"),
    "category.telephony": ("Telefoni", "Telephony"),
    "category.tv": ("TV", "TV"),
    # order form
    "form.title": ("Beställ {name}", "Order {name}"),
    "form.summary": (
        "{provider} · {price} kr/mån · {binding}",
        "{provider} · SEK {price}/month · {binding}",
    ),
    "form.manual_note": (
        "Ditt uttag är inte identifierat: tjänsteleverantören hanterar beställningen manuellt "
        "och kontaktar dig.",
        "Your outlet is not identified: the service provider handles the order manually and "
        "will contact you.",
    ),
    "form.required_note": (
        "Fält markerade med * är obligatoriska.",
        "Fields marked * are required.",
    ),
    "form.required": ("obligatoriskt", "required"),
    "form.submit": ("Skicka beställningen", "Send the order"),
    "form.back": ("Tillbaka till tjänsterna", "Back to the services"),
    "form.errors_title": (
        "Beställningen kunde inte skickas. Rätta följande:",
        "The order could not be sent. Please correct the following:",
    ),
    "form.choose": ("Välj …", "Choose …"),
    # not deliverable
    "nd.title": ("Tjänsten kan inte levereras", "The service cannot be delivered"),
    "nd.intro": (
        "Stadsnätet säger att {name} inte kan levereras till ditt uttag.",
        "The city network says that {name} cannot be delivered to your outlet.",
    ),
    "nd.what_now": ("Vad kan du göra?", "What can you do?"),
    "nd.advice": (
        "Ingen beställning har gjorts. Välj en annan tjänst, eller kontakta stadsnätet och "
        "försök igen senare.",
        "No order has been made. Choose another service, or contact the city network and try "
        "again later.",
    ),
    # receipt
    "receipt.title": ("Tack för din beställning", "Thank you for your order"),
    "receipt.ordered": ("Du har beställt", "You ordered"),
    "receipt.order_id": ("Ordernummer", "Order number"),
    "receipt.service": ("Tjänst", "Service"),
    "receipt.provider": ("Leverantör", "Provider"),
    "receipt.category": ("Kategori", "Category"),
    "receipt.name": ("Namn", "Name"),
    "receipt.email": ("E-post", "Email"),
    "receipt.address": ("Adress", "Address"),
    "receipt.requested": ("Önskat startdatum", "Requested start date"),
    "receipt.asap": ("Så snart som möjligt", "As soon as possible"),
    "receipt.activated": (
        "Tjänsten är aktiverad {date}. Du kan börja använda den.",
        "The service was activated on {date}. You can start using it.",
    ),
    "receipt.activated_today": (
        "Tjänsten är aktiverad i dag. Du kan börja använda den.",
        "The service is activated today. You can start using it.",
    ),
    "receipt.scheduled": (
        "Tjänsten aktiveras {date}.",
        "The service will be activated on {date}.",
    ),
    "receipt.refused": (
        "Vi har tagit emot din beställning, men tjänsten kan inte aktiveras just nu. "
        "Tjänsteleverantören kontaktar dig om vad som behöver göras.",
        "We have received your order, but the service cannot be activated right now. "
        "The service provider will contact you about what needs to be done.",
    ),
    "receipt.pending": (
        "Vi har tagit emot din beställning och aktiveringen pågår. Ladda om sidan för att se "
        "det senaste läget.",
        "We have received your order and the activation is in progress. Reload the page to "
        "see the latest state.",
    ),
    "receipt.manual": (
        "Vi har tagit emot din beställning. Tjänsteleverantören hanterar den och kontaktar dig.",
        "We have received your order. The service provider handles it and will contact you.",
    ),
    "receipt.failed": (
        "Vi har tagit emot din beställning, men aktiveringen kunde inte genomföras. "
        "Tjänsteleverantören kontaktar dig.",
        "We have received your order, but the activation could not be completed. "
        "The service provider will contact you.",
    ),
    "receipt.keep_link": (
        "Spara länken till den här sidan om du vill se läget senare.",
        "Keep the link to this page if you want to check the state later.",
    ),
    "receipt.more": ("Beställ fler tjänster", "Order more services"),
    # errors
    "error.400.title": ("Felaktig förfrågan", "Bad request"),
    "error.400.text": (
        "Vi kunde inte läsa det som skickades. Gå tillbaka och försök igen.",
        "We could not read what was sent. Please go back and try again.",
    ),
    "error.403.title": ("Sidan har gått ut", "The page has expired"),
    "error.403.text": (
        "Formuläret kunde inte skickas eftersom sidan är för gammal eller öppnades i en annan "
        "webbläsare. Öppna formuläret igen och skicka det på nytt.",
        "The form could not be sent because the page is too old or was opened in another "
        "browser. Open the form again and send it once more.",
    ),
    "error.404.title": ("Sidan finns inte", "Page not found"),
    "error.404.text": (
        "Vi hittar inte det du letar efter. Kontrollera länken.",
        "We cannot find what you are looking for. Please check the link.",
    ),
    "error.409.title": ("Beställningen behandlas redan", "The order is already being handled"),
    "error.409.text": (
        "Formuläret har redan skickats. Vänta en stund och ladda om sidan.",
        "The form has already been sent. Please wait a moment and reload the page.",
    ),
    "error.413.title": ("För mycket data", "Too much data"),
    "error.413.text": (
        "Det som skickades var för stort. Gå tillbaka och försök igen.",
        "What was sent was too large. Please go back and try again.",
    ),
    "error.500.title": ("Något gick fel", "Something went wrong"),
    "error.500.text": (
        "Ett oväntat fel uppstod hos oss. Försök igen om en stund.",
        "An unexpected error occurred on our side. Please try again in a while.",
    ),
    "error.503.title": ("Stadsnätet svarar inte", "The city network does not answer"),
    "error.503.text": (
        "Vi når inte stadsnätet just nu. Försök igen om en stund.",
        "We cannot reach the city network right now. Please try again in a while.",
    ),
    "error.home": ("Till startsidan", "To the start page"),
}
