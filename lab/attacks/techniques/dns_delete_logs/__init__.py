"""dns-delete-logs: delete a VPC's Route 53 Resolver query logging (T1562.008)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.resources import delete_bucket, ensure_vpc, lab_tags, missing_ok
from lab.attacks.s3_bucket import ensure_private_bucket
from lab.emulator.endpoints import Endpoints

CIDR = "10.78.0.0/16"
CONFIG_NAME = "lab-target-dns-query-logs"


class DnsDeleteLogs(Technique):
    folder = Path(__file__).parent

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """A lab VPC whose DNS queries are logged to a lab bucket."""
        bucket = ensure_private_bucket(endpoints, "target-dns-logs", self.id)
        vpc_id = ensure_vpc(endpoints.client("ec2", "harness"), self.id, CIDR)
        prerequisites = {"vpc_id": vpc_id, "bucket": bucket}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def _associations(self, endpoints: Endpoints, vpc_id: str, actor: str) -> list[dict]:
        return endpoints.client(
            "route53resolver", actor
        ).list_resolver_query_log_config_associations(
            Filters=[{"Name": "ResourceId", "Values": [vpc_id]}]
        )["ResolverQueryLogConfigAssociations"]

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """Disassociate the VPC, then delete the configuration (AWS refuses the delete first)."""
        resolver = endpoints.client("route53resolver", "attacker")
        for association in self._associations(endpoints, prerequisites["vpc_id"], "attacker"):
            config_id = association["ResolverQueryLogConfigId"]
            resolver.disassociate_resolver_query_log_config(
                ResolverQueryLogConfigId=config_id, ResourceId=prerequisites["vpc_id"]
            )
            resolver.delete_resolver_query_log_config(ResolverQueryLogConfigId=config_id)

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """The VPC's DNS queries are logged again."""
        return bool(self._associations(endpoints, prerequisites["vpc_id"], "observer"))

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        if self.is_remediated(endpoints, prerequisites):
            return
        resolver = endpoints.client("route53resolver", "harness")
        existing = [
            c
            for c in resolver.list_resolver_query_log_configs()["ResolverQueryLogConfigs"]
            if c["Name"] == CONFIG_NAME
        ]
        config_id = (
            existing[0]["Id"]
            if existing
            else resolver.create_resolver_query_log_config(
                Name=CONFIG_NAME,
                DestinationArn=f"arn:aws:s3:::{prerequisites['bucket']}",
                CreatorRequestId=f"lab-{prerequisites['vpc_id']}",
                Tags=lab_tags(self.id),
            )["ResolverQueryLogConfig"]["Id"]
        )
        resolver.associate_resolver_query_log_config(
            ResolverQueryLogConfigId=config_id, ResourceId=prerequisites["vpc_id"]
        )

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        self._remove_logging(endpoints, prerequisites)
        with missing_ok("InvalidVpcID.NotFound"):
            endpoints.client("ec2", "harness").delete_vpc(VpcId=prerequisites["vpc_id"])
        delete_bucket(endpoints.client("s3", "harness"), prerequisites["bucket"])

    def _remove_logging(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """The harness removes the logging and its configuration (cleanup)."""
        resolver = endpoints.client("route53resolver", "harness")
        for association in self._associations(endpoints, prerequisites["vpc_id"], "harness"):
            resolver.disassociate_resolver_query_log_config(
                ResolverQueryLogConfigId=association["ResolverQueryLogConfigId"],
                ResourceId=prerequisites["vpc_id"],
            )
        for config in resolver.list_resolver_query_log_configs()["ResolverQueryLogConfigs"]:
            if config["Name"] == CONFIG_NAME:
                resolver.delete_resolver_query_log_config(ResolverQueryLogConfigId=config["Id"])


TECHNIQUE = DnsDeleteLogs
