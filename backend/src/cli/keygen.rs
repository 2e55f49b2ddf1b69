use std::path::Path;

use callvault_shared::crypto::RsaBits;
use callvault_shared::keys::RsaPrivateKey;

use super::{Crypto, output, passphrase};

/// Generates a key pair into an encrypted PKCS#8 file, and optionally its public half.
pub fn keygen(
    bits: usize,
    out: &Path,
    public_out: Option<&Path>,
    passphrase_file: Option<&Path>,
) -> anyhow::Result<()> {
    let bits = RsaBits::from_bits(bits)?;
    let passphrase = passphrase::read_new(passphrase_file)?;
    let key = RsaPrivateKey::<Crypto>::generate(bits)?;
    let pem = key.to_encrypted_pem(passphrase.as_bytes())?;
    output::write_to(out, |w| Ok(w.write_all(pem.as_bytes())?))?;
    if let Some(public_out) = public_out {
        let public = key.public_key().to_pem();
        output::write_to(public_out, |w| Ok(w.write_all(public.as_bytes())?))?;
    }
    eprintln!("{} ({} bits)", key.fingerprint(), bits.bits());
    Ok(())
}
