"""The error summary of a rejected form, shown once at the top of every page (base.html)."""

from django import template
from django.forms import BaseForm, BaseFormSet
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext as _

register = template.Library()

# How deep the context is searched for forms: a view may hand a form over inside a list of
# rows, e.g. the time nodes of a pledge page as (node, form) pairs.
SEARCH_DEPTH = 3


def _forms_in(value, depth=SEARCH_DEPTH):
    """The forms and formsets held by a context value, directly or inside lists, tuples and
    dicts. Nothing else is entered, so no queryset is evaluated; nor is a lazy value no one
    has read yet (the navigation's branch, branches.context_processors): a form is never
    made lazily."""
    if isinstance(value, LazyObject) and value._wrapped is empty:
        return
    if isinstance(value, (BaseForm, BaseFormSet)):
        yield value
    elif depth and isinstance(value, (list, tuple)):
        for item in value:
            yield from _forms_in(item, depth - 1)
    elif depth and isinstance(value, dict):
        for item in value.values():
            yield from _forms_in(item, depth - 1)


def _field_target(bound_field) -> str:
    """The id to link to for a field: its label's target, or the first choice of a group of
    checkboxes or radio buttons (their label is a legend, not a <label for>)."""
    if bound_field.is_hidden:
        return ""
    target = bound_field.id_for_label
    if not target and bound_field.auto_id:
        subwidgets = bound_field.subwidgets
        target = subwidgets[0].id_for_label if subwidgets else bound_field.auto_id
    return target or ""


def form_error_items(form: BaseForm, *, row_label: str = "") -> list[dict]:
    """One item per error message of a bound form, in the order of its fields: `href` links
    to the field ("" for errors not tied to a visible field), `label` names it."""
    if not form.is_bound or not form.errors:
        return []
    items = []
    for message in form.non_field_errors():
        items.append({"href": "", "label": row_label, "message": message})
    for name in form.fields:
        if name not in form.errors:
            continue
        bound_field = form[name]
        target = _field_target(bound_field)
        label = bound_field.label or name
        if row_label:
            label = f"{row_label} · {label}"
        for message in bound_field.errors:
            items.append(
                {"href": f"#{target}" if target else "", "label": label, "message": message}
            )
    return items


def formset_error_items(formset: BaseFormSet) -> list[dict]:
    """The errors of a bound formset: its own first, then each row's, named by row number."""
    if not formset.is_bound:
        return []
    items = [{"href": "", "label": "", "message": m} for m in formset.non_form_errors()]
    for index, form in enumerate(formset.forms, start=1):
        row_label = _("第 %(row)s 行") % {"row": index}
        items.extend(form_error_items(form, row_label=row_label))
    return items


def error_items(values) -> list[dict]:
    """The error items of every bound form and formset among `values`, each form once: a
    form that is a row of a formset is told of under its formset."""
    found = {}
    for value in values:
        for form in _forms_in(value):
            found.setdefault(id(form), form)
    rows = {id(row) for form in found.values() if isinstance(form, BaseFormSet) for row in form}
    items = []
    for key, form in found.items():
        if isinstance(form, BaseFormSet):
            items.extend(formset_error_items(form))
        elif key not in rows:
            items.extend(form_error_items(form))
    return items


@register.inclusion_tag("includes/error_summary.html", takes_context=True)
def error_summary(context):
    """The summary of every error of the page's bound forms, with a link to each field."""
    return {"errors": error_items(context.flatten().values())}
