"""Route 53 Resolver: deleting query logging (DisassociateResolverQueryLogConfig,
DeleteResolverQueryLogConfig), which moto does not implement."""

from __future__ import annotations

import json


def apply() -> None:
    _patch_delete_query_logging()


def _patch_delete_query_logging() -> None:
    """Gap: moto creates and associates Resolver query logging configurations but cannot remove
    them. Implemented as the Route 53 Resolver API Reference documents: Disassociate removes a VPC's
    association (ResourceNotFoundException if there is none); Delete refuses a configuration that is
    still associated with a VPC (InvalidRequestException: "disassociate all VPCs first"), else
    removes it; both answer the object as it was, status DELETING."""
    from moto.route53resolver.exceptions import InvalidRequestException, ResourceNotFoundException
    from moto.route53resolver.responses import Route53ResolverResponse

    def disassociate_resolver_query_log_config(self: Route53ResolverResponse) -> str:
        backend = self.route53resolver_backend
        config_id = self._get_param("ResolverQueryLogConfigId")
        resource_id = self._get_param("ResourceId")
        for association_id, association in list(
            backend.resolver_query_log_config_associations.items()
        ):
            if (
                association.resolver_query_log_config_id == config_id
                and association.resource_id == resource_id
            ):
                del backend.resolver_query_log_config_associations[association_id]
                config = backend.resolver_query_log_configs.get(config_id)
                if config is not None:
                    config.association_count = max(0, config.association_count - 1)
                answer = association.description() | {"Status": "DELETING"}
                return json.dumps({"ResolverQueryLogConfigAssociation": answer})
        raise ResourceNotFoundException(
            f"Resolver query log config '{config_id}' is not associated with '{resource_id}'"
        )

    def delete_resolver_query_log_config(self: Route53ResolverResponse) -> str:
        backend = self.route53resolver_backend
        config_id = self._get_param("ResolverQueryLogConfigId")
        if config_id not in backend.resolver_query_log_configs:
            raise ResourceNotFoundException(
                f"Resolver query log config with ID '{config_id}' does not exist"
            )
        if any(
            a.resolver_query_log_config_id == config_id
            for a in backend.resolver_query_log_config_associations.values()
        ):
            raise InvalidRequestException(
                f"Resolver query log config '{config_id}' is associated with VPCs: disassociate "
                "all VPCs first"
            )
        config = backend.resolver_query_log_configs.pop(config_id)
        return json.dumps({"ResolverQueryLogConfig": config.description() | {"Status": "DELETING"}})

    Route53ResolverResponse.disassociate_resolver_query_log_config = (  # type: ignore[attr-defined]
        disassociate_resolver_query_log_config
    )
    Route53ResolverResponse.delete_resolver_query_log_config = (  # type: ignore[attr-defined]
        delete_resolver_query_log_config
    )
