//! The retention screen in parts: the policy (in force, pending, and the form that changes it
//! with the count of what saving would delete), legal holds with what each keeps, and the
//! deletion log.

mod deletion_log;
mod held_recordings;
mod hold_card;
mod holds;
mod in_force;
mod new_hold;
mod policy;
mod policy_form;
mod rule_row;

pub use deletion_log::DeletionLog;
pub use holds::LegalHolds;
pub use policy::RetentionPolicyPanel;
