//! Request and response bodies of the REST API under `/api/v1`, and its probes.

mod archive;
mod audit;
mod auth;
mod health;
mod key_chain;
mod keys;
mod permission;
mod problem;
mod recording;
mod retention;
mod role;
mod tenant;
mod token;
mod user;

pub use archive::{ExportRequest, ImportOutcome};
pub use audit::{
    AuditCheckpoint, AuditEvent, AuditOutcome, AuditPage, AuditProblem, AuditSigningKey,
    AuditVerification, CHECKPOINT_ALGORITHM, CHECKPOINT_HEAD, CHECKPOINT_HEADER, CHECKPOINT_LENGTH,
    CHECKPOINT_TENANT, CHECKPOINT_TIME, CHECKPOINT_VERSION, checkpoint_text,
};
pub use auth::{
    AccessToken, FailedSignIn, LoginRequest, LoginResponse, Me, PasswordChange, PasswordChanged,
    SessionInfo, WRONG_CREDENTIALS,
};
pub use health::{CheckState, Health, Readiness};
pub use key_chain::{
    KeyChain, KeyChainAction, KeyChainLink, SIGNATURE_HEADER, STATEMENT_HEADER, StatementRequest,
    StatementToSign,
};
pub use keys::{
    Checklist, EncryptionKey, EncryptionSettings, EncryptionUpdate, GenerateKey, ImportPrivateKey,
    ImportPublicKey, Job, JobKind, JobState, KeyDestroy, KeyDestroyed, KeyExport, KeyHolder,
    KeyMode, KeyOrigin, KeyState, MIN_EXPORT_PASSPHRASE, NewGrant, NewKey,
};
pub use permission::Permission;
pub use problem::Problem;
pub use recording::{
    AudioQuery, Direction, OrderBy, Recording, RecordingPage, RecordingQuery, RecordingUpdate, Sort,
};
pub use retention::{
    DEFAULT_GRACE_DAYS, HeldRecordings, HoldCriteria, HoldSearch, LONGEST_GRACE_DAYS,
    LONGEST_KEEP_DAYS, LegalHold, NewLegalHold, PendingPolicy, Retained, RetentionPolicy,
    RetentionPreview, RetentionRule, RetentionSettings, RetentionUpdate, Searched,
};
pub use role::Role;
pub use tenant::{NewTenant, Tenant, TenantUpdate};
pub use token::{ApiToken, CreatedApiToken, NewApiToken, TokenScope};
pub use user::{NewUser, PasswordReset, PasswordResetOutcome, User, UserUpdate};
