"""The customer web's pages as HTML. Pure rendering: every value passes through rendering's
escaping; nothing here calls a store or a city network."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from ..domain.forms import FORM_ERROR_KEY, ComposedForm, FieldError, Fieldset, FieldSpec
from ..domain.models import ActivationState, CityNetwork, Deliverability, Offer, Order
from .i18n import Language, category_name, text
from .rendering import Markup, attributes, escape, fragment, join, render


@dataclass(frozen=True)
class PageContext:
    language: Language
    path: str
    query: Mapping[str, str] = field(default_factory=dict)

    def t(self, key: str, **values: object) -> str:
        return text(self.language, key, **values)


def layout(ctx: PageContext, title: str, main: Markup) -> str:
    other: Language = "sv" if ctx.language == "en" else "en"
    query = {k: v for k, v in ctx.query.items() if k != "lang"}
    query["lang"] = other
    return render(
        "layout.html",
        lang=ctx.language,
        title=title,
        site=ctx.t("site.name"),
        skip=ctx.t("skip"),
        language_href=f"{ctx.path}?{urlencode(query)}",
        other_lang=other,
        language_label=ctx.t("switch_language"),
        main=main,
        footer=ctx.t("footer"),
    )


# --- offers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferCard:
    offer: Offer
    provider_name: str
    active: bool = False


@dataclass(frozen=True)
class OffersPage:
    city_network_name: str
    identified: bool
    groups: Sequence[tuple[str, Sequence[OfferCard]]]
    port_message: str | None = None
    port_unknown: bool = False


def binding_text(ctx: PageContext, months: int) -> str:
    return ctx.t("offers.binding", months=months) if months else ctx.t("offers.no_binding")


def _offer_card(ctx: PageContext, card: OfferCard) -> Markup:
    offer = card.offer
    if card.active:
        action = fragment(
            '<p><span class="badge">$active</span></p>', active=ctx.t("offers.active")
        )
    else:
        action = fragment(
            '<a class="button" href="/order/$id" aria-label="$label">$order</a>',
            id=offer.id,
            label=ctx.t("offers.order", name=f"{offer.name}, {card.provider_name}"),
            order=ctx.t("offers.order", name="").strip(),
        )
    return fragment(
        '<li><article class="offer">\n<h3>$name</h3>\n'
        '<p class="provider">$provider_label: $provider</p>\n<p class="price">$price</p>\n'
        "<p>$binding</p>\n$action\n</article></li>",
        name=offer.name,
        provider_label=ctx.t("offers.provider"),
        provider=card.provider_name,
        price=ctx.t("offers.price", price=offer.monthly_price_sek),
        binding=binding_text(ctx, offer.binding_months),
        action=action,
    )


def offers_page(ctx: PageContext, page: OffersPage) -> str:
    notices: list[Markup] = []
    if page.identified:
        notices.append(
            fragment('<div class="notice"><p>$t</p></div>', t=ctx.t("offers.identified"))
        )
        if page.port_message:
            notices.append(
                fragment(
                    '<div class="notice notice-warning">'
                    "<p><strong>$label</strong> $message</p></div>",
                    label=ctx.t("offers.port_message"),
                    message=page.port_message,
                )
            )
        if page.port_unknown:
            notices.append(
                fragment(
                    '<div class="notice notice-warning"><p>$t</p></div>',
                    t=ctx.t("offers.port_unknown"),
                )
            )
    else:
        notices.append(
            fragment('<div class="notice notice-warning"><p>$t</p></div>', t=ctx.t("offers.manual"))
        )
    sections = [
        fragment(
            '<section aria-labelledby="category-$category">\n'
            '<h2 id="category-$category">$title</h2>\n'
            '<ul class="offers">\n$cards\n</ul>\n</section>',
            category=category,
            title=category_name(ctx.language, category),
            cards=join(_offer_card(ctx, card) for card in cards),
        )
        for category, cards in page.groups
    ]
    if not sections:
        sections.append(fragment("<p>$t</p>", t=ctx.t("offers.none")))
    not_home = Markup("")
    if page.identified:
        not_home = fragment(
            '<div class="not-home"><p><a href="/unidentified">$link</a></p>'
            '<p class="hint">$help</p></div>',
            link=ctx.t("offers.not_home"),
            help=ctx.t("offers.not_home_help"),
        )
    title = ctx.t("offers.title", network=page.city_network_name)
    main = render(
        "offers.html",
        title=title,
        notices=join(notices),
        categories=join(sections),
        not_home=not_home,
    )
    return layout(ctx, title, main)


def choose_network_page(ctx: PageContext, networks: Sequence[CityNetwork]) -> str:
    choices = join(
        fragment(
            '<li><a href="/offers?$query">$name</a></li>',
            query=urlencode({"city_network": n.id}),
            name=n.name,
        )
        for n in networks
    )
    title = ctx.t("offers.choose_network")
    main = render(
        "choose_network.html",
        title=title,
        help=ctx.t("offers.choose_network_help"),
        choices=choices,
    )
    return layout(ctx, title, main)


# --- the order form ---------------------------------------------------------------------


@dataclass(frozen=True)
class FormPage:
    offer: Offer
    provider_name: str
    form: ComposedForm
    identified: bool
    csrf_token: str
    submission_id: str
    today: date
    values: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, FieldError] = field(default_factory=dict)
    first_rendering: bool = True


def _label(ctx: PageContext, spec: FieldSpec) -> str:
    return spec.label_en if ctx.language == "en" else spec.label_sv


def _message(ctx: PageContext, error: FieldError) -> str:
    return error.message_en if ctx.language == "en" else error.message_sv


def field_id(name: str) -> str:
    return f"f-{name}"


def _current_value(page: FormPage, spec: FieldSpec) -> str:
    if spec.name in page.values:
        return page.values[spec.name]
    if page.first_rendering and spec.default is not None and spec.value_type != "boolean":
        return str(spec.default)
    return ""


def _is_checked(page: FormPage, spec: FieldSpec) -> bool:
    if page.first_rendering and spec.name not in page.values:
        return spec.default is True
    return page.values.get(spec.name) == "on"


def _field(ctx: PageContext, page: FormPage, spec: FieldSpec) -> Markup:
    fid = field_id(spec.name)
    label = _label(ctx, spec)
    help_text = spec.help_en if ctx.language == "en" else spec.help_sv
    error = page.errors.get(spec.name)
    described = []
    help_html = Markup("")
    error_html = Markup("")
    if help_text:
        described.append(f"{fid}-help")
        help_html = fragment('<p class="help" id="$id-help">$help</p>', id=fid, help=help_text)
    if error:
        described.append(f"{fid}-error")
        error_html = fragment(
            '<p class="error-message" id="$id-error"><span class="visually-hidden">$prefix</span>'
            "$message</p>",
            id=fid,
            prefix="Fel: " if ctx.language == "sv" else "Error: ",
            message=_message(ctx, error),
        )
    required_mark = (
        fragment(
            ' <span class="req" aria-hidden="true">*</span>'
            '<span class="visually-hidden"> ($required)</span>',
            required=ctx.t("form.required"),
        )
        if spec.required
        else Markup("")
    )
    common = {
        "aria_describedby": " ".join(described) or None,
        "aria_invalid": "true" if error else None,
        "required": spec.required,
    }
    classes = "field has-error" if error else "field"

    if spec.widget == "checkbox":
        control = fragment(
            "<input $attrs>",
            attrs=attributes(
                type="checkbox",
                id=fid,
                name=spec.name,
                value="on",
                checked=_is_checked(page, spec),
                **common,
            ),
        )
        return fragment(
            '<div class="$classes checkbox">$control<label for="$id">$label$mark</label>'
            "$help$error</div>",
            classes=classes,
            control=control,
            id=fid,
            label=label,
            mark=required_mark,
            help=help_html,
            error=error_html,
        )

    value = _current_value(page, spec)
    if spec.widget == "radio":
        radios = []
        for index, option in enumerate(spec.options):
            rid = fid if index == 0 else f"{fid}-{index + 1}"
            radios.append(
                fragment(
                    '<div class="radio"><input $attrs><label for="$id">$label</label></div>',
                    attrs=attributes(
                        type="radio",
                        id=rid,
                        name=spec.name,
                        value=option.value,
                        checked=option.value == value,
                        required=spec.required,
                    ),
                    id=rid,
                    label=option.label_en if ctx.language == "en" else option.label_sv,
                )
            )
        return fragment(
            '<div class="$classes"><fieldset class="radios" $attrs><legend>$label$mark</legend>'
            "$help$error$radios</fieldset></div>",
            classes=classes,
            attrs=attributes(aria_describedby=common["aria_describedby"]),
            label=label,
            mark=required_mark,
            help=help_html,
            error=error_html,
            radios=join(radios),
        )

    if spec.widget == "select":
        options = [
            fragment('<option value="">$choose</option>', choose=ctx.t("form.choose")),
            *(
                fragment(
                    "<option $attrs>$label</option>",
                    attrs=attributes(value=option.value, selected=option.value == value),
                    label=option.label_en if ctx.language == "en" else option.label_sv,
                )
                for option in spec.options
            ),
        ]
        control = fragment(
            "<select $attrs>$options</select>",
            attrs=attributes(id=fid, name=spec.name, autocomplete=spec.autocomplete, **common),
            options=join(options, ""),
        )
    else:
        input_type = {"email": "email", "tel": "tel", "date": "date", "number": "number"}.get(
            spec.widget, "text"
        )
        low = high = None
        if input_type == "date":
            from ..domain.requested_dates import requested_date_bounds

            first, last = requested_date_bounds(page.today)
            low, high = first.isoformat(), last.isoformat()
        control = fragment(
            "<input $attrs>",
            attrs=attributes(
                type=input_type,
                id=fid,
                name=spec.name,
                value=value,
                autocomplete=spec.autocomplete,
                inputmode=spec.inputmode,
                maxlength=spec.maxlength if input_type != "date" else None,
                min=spec.min if spec.min is not None else low,
                max=spec.max if spec.max is not None else high,
                spellcheck="false" if input_type in {"email", "tel"} else None,
                **common,
            ),
        )
    return fragment(
        '<div class="$classes"><label for="$id">$label$mark</label>$help$error$control</div>',
        classes=classes,
        id=fid,
        label=label,
        mark=required_mark,
        help=help_html,
        error=error_html,
        control=control,
    )


def _fieldset(ctx: PageContext, page: FormPage, fieldset: Fieldset) -> Markup:
    return fragment(
        '<fieldset class="group" id="group-$id">\n<legend>$legend</legend>\n$fields\n</fieldset>',
        id=fieldset.id,
        legend=fieldset.legend_en if ctx.language == "en" else fieldset.legend_sv,
        fields=join(_field(ctx, page, spec) for spec in fieldset.fields),
    )


def _error_summary(ctx: PageContext, page: FormPage) -> Markup:
    if not page.errors:
        return Markup("")
    items = []
    if FORM_ERROR_KEY in page.errors:
        items.append(fragment("<li>$m</li>", m=_message(ctx, page.errors[FORM_ERROR_KEY])))
    for spec in page.form.fields:
        error = page.errors.get(spec.name)
        if error:
            items.append(
                fragment(
                    '<li><a href="#$id">$label: $message</a></li>',
                    id=field_id(spec.name),
                    label=_label(ctx, spec),
                    message=_message(ctx, error),
                )
            )
    return fragment(
        '<div class="error-summary" role="alert" aria-labelledby="error-summary-title" '
        'tabindex="-1">\n<h2 id="error-summary-title">$title</h2>\n<ul>\n$items\n</ul>\n</div>',
        title=ctx.t("form.errors_title"),
        items=join(items),
    )


def form_page(ctx: PageContext, page: FormPage) -> str:
    offer = page.offer
    title = ctx.t("form.title", name=offer.name)
    manual = Markup("")
    if not page.identified:
        manual = fragment(
            '<div class="notice notice-warning"><p>$t</p></div>', t=ctx.t("form.manual_note")
        )
    main = render(
        "form.html",
        error_summary=_error_summary(ctx, page),
        title=title,
        summary=ctx.t(
            "form.summary",
            provider=page.provider_name,
            price=offer.monthly_price_sek,
            binding=binding_text(ctx, offer.binding_months),
        ),
        manual_note=manual,
        required_note=ctx.t("form.required_note"),
        action=f"/order/{offer.id}",
        csrf_token=page.csrf_token,
        submission_id=page.submission_id,
        fieldsets=join(_fieldset(ctx, page, fs) for fs in page.form.fieldsets),
        submit=ctx.t("form.submit"),
        back=ctx.t("form.back"),
    )
    prefix = ("Fel: " if ctx.language == "sv" else "Error: ") if page.errors else ""
    return layout(ctx, prefix + title, main)


def not_deliverable_page(ctx: PageContext, offer: Offer, deliverability: Deliverability) -> str:
    message = (
        deliverability.customer_message_en
        if ctx.language == "en" and deliverability.customer_message_en
        else deliverability.customer_message
    )
    title = ctx.t("nd.title")
    main = render(
        "not_deliverable.html",
        title=title,
        intro=ctx.t("nd.intro", name=offer.name),
        message=message or "",
        what_now=ctx.t("nd.what_now"),
        advice=ctx.t("nd.advice"),
        back=ctx.t("form.back"),
    )
    return layout(ctx, title, main)


# --- receipt ----------------------------------------------------------------------------


def _format_date(ctx: PageContext, day: date | None) -> str:
    return day.isoformat() if day else ""


def outcome_text(ctx: PageContext, order: Order, today: date) -> tuple[str, str]:
    """(text, css class) of the honest outcome of the order's activation."""
    activation = order.activation
    match activation.state:
        case ActivationState.ACTIVATED:
            if activation.date is None or activation.date >= today:
                return ctx.t("receipt.activated_today"), "notice-success"
            return ctx.t("receipt.activated", date=_format_date(ctx, activation.date)), (
                "notice-success"
            )
        case ActivationState.SCHEDULED:
            return ctx.t("receipt.scheduled", date=_format_date(ctx, activation.date)), (
                "notice-success"
            )
        case ActivationState.REFUSED:
            return ctx.t("receipt.refused"), "notice-warning"
        case ActivationState.PENDING:
            return ctx.t("receipt.pending"), ""
        case ActivationState.FAILED:
            return ctx.t("receipt.failed"), "notice-warning"
        case _:
            return ctx.t("receipt.manual"), ""


def receipt_page(ctx: PageContext, order: Order, provider_name: str, today: date) -> str:
    outcome, css = outcome_text(ctx, order, today)
    rows = [
        (ctx.t("receipt.order_id"), order.id),
        (ctx.t("receipt.service"), order.service.name),
        (ctx.t("receipt.category"), category_name(ctx.language, order.service.category.value)),
        (ctx.t("receipt.provider"), provider_name),
        (ctx.t("receipt.name"), f"{order.customer.first_name} {order.customer.last_name}"),
        (
            ctx.t("receipt.requested"),
            order.requested_date.isoformat() if order.requested_date else ctx.t("receipt.asap"),
        ),
    ]
    title = ctx.t("receipt.title")
    main = render(
        "receipt.html",
        title=title,
        outcome=outcome,
        outcome_class=css,
        ordered=ctx.t("receipt.ordered"),
        rows=join(fragment("<dt>$k</dt><dd>$v</dd>", k=k, v=v) for k, v in rows),
        keep_link=ctx.t("receipt.keep_link"),
        more=ctx.t("receipt.more"),
    )
    return layout(ctx, title, main)


def error_page(ctx: PageContext, status: int) -> str:
    key = status if status in {400, 403, 404, 409, 413, 503} else 500
    title = ctx.t(f"error.{key}.title")
    main = render(
        "error.html", title=title, text=ctx.t(f"error.{key}.text"), home=ctx.t("error.home")
    )
    return layout(ctx, title, main)


__all__ = [
    "FormPage",
    "OfferCard",
    "OffersPage",
    "PageContext",
    "choose_network_page",
    "error_page",
    "escape",
    "form_page",
    "not_deliverable_page",
    "offers_page",
    "receipt_page",
]
