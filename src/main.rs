use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = sprechstunde::cli::Cli::parse();
    sprechstunde::cli::run(cli)
}
