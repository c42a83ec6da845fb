"""Who may call what in the API: DRF permission classes over the roles in ``cohort.selectors``.

What each caller sees is narrowed by the ``*_for(user)`` selectors of each app; these classes only decide
whether a method is allowed at all.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from cohort.selectors import is_staff_role, owner_of


class IsStaffOrReadOnly(BasePermission):
    """Reads for anyone signed in (within their querysets); writes for staff."""

    def has_permission(self, request, view) -> bool:
        return bool(
            request.user.is_authenticated and (request.method in SAFE_METHODS or is_staff_role(request.user))
        )


class IsStaff(BasePermission):
    def has_permission(self, request, view) -> bool:
        return is_staff_role(request.user)


class OwnsOrStaff(BasePermission):
    """Writes on rows the caller's queryset already limits to their own (availability, blackouts): staff's, or a
    person's of a kind the view's rows belong to (its ``owner_fields``)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        return (
            request.method in SAFE_METHODS
            or is_staff_role(user)
            or owner_of(user, view.owner_fields) is not None
        )
