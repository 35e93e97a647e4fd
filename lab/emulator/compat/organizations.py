"""Organizations: LeaveOrganization, which moto does not implement."""

from __future__ import annotations


def apply() -> None:
    _patch_leave_organization()


def _patch_leave_organization() -> None:
    """Gap: moto has no LeaveOrganization. Implemented as the Organizations API Reference documents
    it: an account in no organization gets AWSOrganizationsNotInUseException; the management
    account cannot leave (ConstraintViolationException: it can only delete the organization); a
    member account leaves (the management account's RemoveAccountFromOrganization, from its side)."""
    from moto.organizations.exceptions import (
        AWSOrganizationsNotInUseException,
        ConstraintViolationException,
    )
    from moto.organizations.models import organizations_backends
    from moto.organizations.responses import OrganizationsResponse

    def leave_organization(self: OrganizationsResponse) -> str:
        backend = self.organizations_backend
        if backend.org is not None:
            raise ConstraintViolationException(
                "You cannot remove the management account from the organization: delete the "
                "organization instead."
            )
        if self.current_account not in organizations_backends.master_accounts:
            raise AWSOrganizationsNotInUseException
        management, partition = organizations_backends.master_accounts[self.current_account]
        organizations_backends[management][partition].remove_account_from_organization(
            AccountId=self.current_account
        )
        return "{}"

    OrganizationsResponse.leave_organization = leave_organization  # type: ignore[attr-defined]
