//! The measured side of `cargo xtask bench-format`: seals, opens and unwraps with a chosen
//! implementation, so that each run is its own process with its own peak memory.
//!
//! ```text
//! format_bench seal    <rustcrypto|aws-lc> PUBLIC.pem IN OUT
//! format_bench open    <rustcrypto|aws-lc> KEY.pem    IN OUT
//! format_bench unwraps <rustcrypto|aws-lc> KEY.pem    SECONDS
//! ```

#![allow(clippy::print_stdout, reason = "the figures are this program's output")]

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::time::{Duration, Instant};

use callvault_shared::crypto::{AwsLc, Crypto, RustCrypto};
use callvault_shared::keys::{KeyFile, RsaPrivateKey, import_key};
use callvault_shared::sealed;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [command, implementation, key, rest @ ..] = args.as_slice() else {
        return Err("usage: format_bench seal|open|unwraps rustcrypto|aws-lc KEY ...".into());
    };
    match implementation.as_str() {
        "rustcrypto" => run::<RustCrypto>(command, key, rest),
        "aws-lc" => run::<AwsLc>(command, key, rest),
        other => Err(format!("unknown implementation {other}").into()),
    }
}

fn run<C: Crypto>(
    command: &str,
    key: &str,
    rest: &[String],
) -> Result<(), Box<dyn std::error::Error>> {
    let key = import_key::<C>(&std::fs::read(key)?, None)?;
    match (command, rest) {
        ("seal", [input, output]) => {
            let input = BufReader::with_capacity(1 << 20, File::open(input)?);
            let output = BufWriter::with_capacity(1 << 20, File::create(output)?);
            sealed::seal([0; 16], "audio/wav", &[key.public_key()], input, output)?;
        }
        ("open", [input, output]) => {
            let input = BufReader::with_capacity(1 << 20, File::open(input)?);
            let output = BufWriter::with_capacity(1 << 20, File::create(output)?);
            sealed::open(&private(key)?, input, output)?;
        }
        ("unwraps", [seconds]) => {
            let key = private(key)?;
            let wrapped = key.public_key().wrap(&[7u8; 32])?;
            let budget = Duration::from_secs_f64(seconds.parse()?);
            let started = Instant::now();
            let mut count = 0u64;
            while started.elapsed() < budget {
                key.unwrap(&wrapped).map_err(|error| error.to_string())?;
                count += 1;
            }
            println!("{:.1}", count as f64 / started.elapsed().as_secs_f64());
        }
        _ => return Err("bad arguments".into()),
    }
    Ok(())
}

fn private<C: Crypto>(key: KeyFile<C>) -> Result<RsaPrivateKey<C>, Box<dyn std::error::Error>> {
    match key {
        KeyFile::Private(key) => Ok(key),
        KeyFile::Public(_) => Err("a private key is needed".into()),
    }
}
