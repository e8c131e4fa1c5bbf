"""The one settings class: environment variables prefixed TOSHIN_ (or a .env file)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TOSHIN_", env_file=".env", extra="ignore")

    temporal_address: str = "127.0.0.1:7233"
    namespace: str = "default"
    task_queue: str = "toshin-cases"
    data_dir: Path = ROOT / "var"
    database_url: str = ""  # empty: SQLite file in data_dir
    sqlite_busy_timeout_ms: int = 5_000
    ui_port: int = 8233
    municipality_file: Path = ROOT / "config" / "municipality.yaml"
    # reminder mail (activities/mail.py)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_user: str = ""  # empty: no AUTH
    smtp_password: SecretStr = SecretStr("")
    smtp_timeout_seconds: float = 30.0
    mail_from: str = "toshin@localhost"
    # the desk (web/app.py): loopback by default; Secure cookies once served over HTTPS
    desk_host: str = "127.0.0.1"
    desk_port: int = 8000
    desk_secure_cookies: bool = False
    desk_session_idle_minutes: int = 60
    desk_session_max_hours: int = 10
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    documents_dir: Path | None = None  # generated documents; empty: data_dir / "documents"
    templates_dir: Path = ROOT / "templates"  # docx/*.docx and html/*.html (editable)
    # payload encryption (edge/codec.py): TOSHIN_KEYRING (base64 of the keyring JSON) wins
    # over the key file; the file defaults to data_dir / "keys" / "keyring.json"
    keyring: SecretStr = SecretStr("")
    keyring_file: Path | None = None
    # the audit trail's HMAC key (edge/audit.py): TOSHIN_AUDIT_KEY (base64 of 32 bytes) wins
    # over the key file, which defaults to data_dir / "keys" / "audit.key" (beside the keyring)
    audit_key: SecretStr = SecretStr("")
    audit_key_file: Path | None = None
    # the Temporal Web UI's origin, the one origin the desk's codec endpoint answers (CORS);
    # empty: the embedded UI, http://127.0.0.1:<ui_port>
    codec_ui_origin: str = ""
    # case ids derived from an external reference (models/ids.py): the HMAC key, from
    # TOSHIN_CASE_ID_KEY (base64 of 32 bytes) or the key file, default data_dir/keys/case_id.key
    case_id_key: SecretStr = SecretStr("")
    case_id_key_file: Path | None = None
    # how long audit records and ended cases' archives are kept (edge/retention.py, `admin
    # purge`), from the record's time or the case's end
    record_retention_years: int = 10
    # who the CLI acts as (cli/common.py): a personal token, or an account and its password
    token: SecretStr = SecretStr("")
    user: str = ""
    password: SecretStr = SecretStr("")
    # login through the municipality's identity provider (edge/oidc.py): off unless enabled;
    # the secret from TOSHIN_OIDC_CLIENT_SECRET or a file (never in the repository)
    oidc_enabled: bool = False
    oidc_issuer: str = ""  # https URL; its /.well-known/openid-configuration is read
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = SecretStr("")
    oidc_client_secret_file: Path | None = None
    oidc_username_claim: str = "preferred_username"  # its value is the local username
    oidc_email_domain: str = ""  # claim email: only this domain; the part before @ is the name
    oidc_scopes: str = "openid profile email"
    oidc_redirect_uri: str = ""  # empty: this desk's address + /login/oidc/callback
    # files at rest (persistence/files.py): generated documents and evidence files sealed with
    # the keyring, bound to their case and name (always 0600 in 0700 folders)
    encrypt_documents: bool = False

    @property
    def documents_path(self) -> Path:
        return self.documents_dir or self.data_dir / "documents"

    @property
    def evidence_path(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def keyring_path(self) -> Path:
        return self.keyring_file or self.data_dir / "keys" / "keyring.json"

    @property
    def audit_key_path(self) -> Path:
        return self.audit_key_file or self.data_dir / "keys" / "audit.key"

    @property
    def case_id_key_path(self) -> Path:
        return self.case_id_key_file or self.data_dir / "keys" / "case_id.key"

    @property
    def codec_origin(self) -> str:
        return self.codec_ui_origin or f"http://127.0.0.1:{self.ui_port}"

    @property
    def read_model_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'read_model.db'}"
