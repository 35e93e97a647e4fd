"""lambda-layer-extension: add the attacker's layer (an extension) to a function (T1546)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.lambda_function import LabFunctionTechnique, function_configuration, zipped
from lab.attacks.resources import missing_ok
from lab.emulator.endpoints import Endpoints

LAYER = "lab-attacker-extension"


class LambdaLayerExtension(LabFunctionTechnique):
    folder = Path(__file__).parent

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        client = endpoints.client("lambda", "attacker")
        layer = client.publish_layer_version(
            LayerName=LAYER, Content={"ZipFile": zipped("# extensions/collector\n")}
        )
        client.update_function_configuration(
            FunctionName=prerequisites["function"], Layers=[layer["LayerVersionArn"]]
        )

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """The function runs with no layer (it had none)."""
        configuration = function_configuration(
            endpoints.client("lambda", "observer"), prerequisites["function"]
        )
        return configuration is None or not configuration.get("Layers")

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        client = endpoints.client("lambda", "harness")
        if not self.is_remediated(endpoints, prerequisites):
            client.update_function_configuration(FunctionName=prerequisites["function"], Layers=[])
        with missing_ok("ResourceNotFoundException"):
            for version in client.list_layer_versions(LayerName=LAYER)["LayerVersions"]:
                client.delete_layer_version(LayerName=LAYER, VersionNumber=version["Version"])


TECHNIQUE = LambdaLayerExtension
