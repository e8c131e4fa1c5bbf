"""The client every caller uses: the server from the settings, the encrypting data converter
(edge/codec.py); and ``open_edge``, the services for one municipality on that client."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio.client import Client
from temporalio.converter import DataConverter

from edge.cases import CaseService
from edge.codec import KeyringError, data_converter, load_keyring
from edge.councils import CouncilService
from edge.errors import unreachable
from edge.loaders import load_municipality
from edge.sessions import SessionService
from models.errors import CaseError
from models.municipality import MunicipalityConfig
from settings import Settings


def converter_for(settings: Settings) -> DataConverter:
    """The encrypting data converter on the settings' keyring (variable or key file); a
    missing or malformed keyring is a CaseError, so the CLI prints one line."""
    try:
        keyring = load_keyring(settings.keyring.get_secret_value(), settings.keyring_path)
    except KeyringError as err:
        raise CaseError(str(err)) from None
    return data_converter(keyring)


async def connect(settings: Settings) -> Client:
    """A client on the settings' server and namespace; CaseError when it cannot be reached."""
    converter = converter_for(settings)
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.namespace,
            data_converter=converter,
        )
    except RuntimeError as exc:
        raise unreachable(settings.temporal_address, exc) from None


@dataclass
class Edge:
    """The services for one municipality, on one client."""

    client: Client
    settings: Settings
    municipality: MunicipalityConfig
    cases: CaseService = field(init=False)
    councils: CouncilService = field(init=False)
    sessions: SessionService = field(init=False)

    def __post_init__(self) -> None:
        self.cases = CaseService(self.client, self.settings, self.municipality)
        self.councils = CouncilService(self.client, self.settings, self.municipality)
        self.sessions = self.councils.sessions


async def open_edge(settings: Settings | None = None) -> Edge:
    """Settings → municipality file → client → services."""
    settings = settings or Settings()
    municipality = load_municipality(settings.municipality_file)
    return Edge(await connect(settings), settings, municipality)
