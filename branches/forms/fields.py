"""Form fields the apps' forms share."""

from html import escape

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from branches.http import parse_id


class ModelIdsField(forms.ModelMultipleChoiceField):
    """A multiple choice of objects by id that refuses, as an invalid id, a value past the
    database's integer (twenty nines): Django would put it in an `IN` query, which SQLite
    answers with OverflowError (a server error) instead of no rows."""

    def clean(self, value):
        if isinstance(value, list | tuple):
            for pk in value:
                if parse_id(str(pk)) is None:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    )
        return super().clean(value)


class LongSelect(forms.Select):
    """A select of many plain options (a province's 5,300 branches, its committees), or one
    of many rows of a table (a rating for each pledge), written in one pass: Django renders
    each option through its own template, which for thousands of options takes half a
    second. Flat choices only, no option groups; the same markup.

    Each key and label is escaped by the standard library's html.escape, which is what
    django.utils.html.escape does, without format_html's checks per value: the options of a
    province cost some 8 ms instead of 40."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(item) for item in self.format_value(value)}
        options = "".join(
            f'<option value="{escape(str(key))}"'
            f"{' selected' if str(key) in chosen else ''}>{escape(str(label))}</option>"
            for key, label in self.choices
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe(options),  # noqa: S308 - every key and label escaped above
        )
