//! One encryption key on the keys screen, in parts: the card, its holders, and its export and
//! grant forms.

mod card;
mod export;
mod grant;
mod holders;

pub use card::KeyCard;
pub use export::ExportForm;
pub use grant::GrantForm;
pub use holders::HolderList;
