from branches.forms.members import (  # noqa: F401
    ExemptionForm,
    MemberForm,
    add_service_error,
)
