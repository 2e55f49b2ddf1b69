use sea_orm::entity::prelude::*;

/// Recent failed logins of one subject (an account, an account from one address, an address,
/// or a device), kept in the database so that every instance counts the same failures.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_throttle")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    /// The times of the subject's failures (and of the attempts in flight, reserved as
    /// failures until they succeed), as Unix milliseconds separated by spaces, oldest first;
    /// never more than the subject's limit.
    #[sea_orm(column_type = "Text")]
    pub failures: String,
    /// When the subject's current lock began; none while it is not locked.
    pub locked_since: Option<ChronoDateTimeUtc>,
    /// Attempts refused since the lock began, reported once when it ends.
    pub refused: i32,
    /// The last change, for the sweeper: a subject untouched for longer than any limit's
    /// window holds nothing that still counts.
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
