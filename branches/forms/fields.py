"""Form fields the apps' forms share."""

from django import forms
from django.core.exceptions import ValidationError

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
