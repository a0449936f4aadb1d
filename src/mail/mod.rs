//! Mail: composing one message per recipient, delivering them over SMTP
//! (or to files, or to sendmail), and journaling what was delivered.

pub mod body;
pub mod compose;
pub mod deliver;
pub mod smtp;
pub mod verp;
pub mod wire;

use crate::config::{Config, Transport};
use smtp::SendError;

/// The transport `delivery.transport` names, and how many connections to
/// open. `outbox_folder` is the folder under `delivery.outbox` that the
/// file transport writes to.
pub fn transport(
    config: &Config,
    outbox_folder: &str,
) -> Result<(Box<dyn deliver::Transport>, usize), SendError> {
    Ok(match config.delivery.transport {
        Transport::Smtp => (
            Box::new(deliver::Smtp(smtp::SmtpSettings::from_config(
                &config.smtp,
            )?)),
            config.smtp.connections,
        ),
        Transport::File => (
            Box::new(deliver::FileOutbox(
                config.delivery.outbox.join(outbox_folder),
            )),
            1,
        ),
        Transport::Sendmail => (
            Box::new(deliver::Sendmail(lettre::SendmailTransport::new())),
            1,
        ),
    })
}
