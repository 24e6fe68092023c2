"""Form fields the apps' forms share."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
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
    """A select of many plain options (a province's 5,300 branches, its committees), written
    in one pass: Django renders each option through its own template, which for thousands of
    options takes half a second. Flat choices only, no option groups; the same markup."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(item) for item in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if str(key) in chosen else "", label)
                for key, label in self.choices
            ),
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            options,
        )
