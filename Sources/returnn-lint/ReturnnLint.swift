import ArgumentParser

/// The `returnn-lint` command: finds, explains, fixes and verifies unmask problems in RETURNN configs.
@main
struct ReturnnLint: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "returnn-lint",
        abstract: "Lint RETURNN network configs (JSON/YAML): rec loops, dim tags, masked computation and unmask.",
        discussion: "`check` is the default subcommand: `returnn-lint PATH ...` is `returnn-lint check PATH ...`.",
        version: version,
        subcommands: [CheckCommand.self, DimsCommand.self, RuleCommand.self, EvalCommand.self]
    )

    /// The first words that are not arguments of `check`: subcommands and the root command's own flags.
    static let rootWords: Set<String> = [
        "check", "dims", "rule", "eval", "help", "-h", "--help", "-help", "--version",
        "--generate-completion-script", "--experimental-dump-help",
    ]

    /// The arguments with `check` put in front unless they start with a subcommand or a flag of the root command.
    ///
    /// ArgumentParser's `defaultSubcommand` does the same, but builds the default subcommand's argument set
    /// several times on every run, `--version` included; choosing it here once is cheaper.
    static func withDefaultSubcommand(_ arguments: [String]) -> [String] {
        guard let first = arguments.first else { return ["check"] }
        if rootWords.contains(first) || first.hasPrefix("--generate-completion-script=") { return arguments }
        return ["check"] + arguments
    }

    /// Runs the command; usage errors exit with 2 (not ArgumentParser's 64), as ruff does.
    static func main() {
        HeapTuning.preferHugePages()
        do {
            var command = try parseAsRoot(withDefaultSubcommand(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                Console.err((fullMessage(for: error) + "\n"))
                Console.exit(2)
            }
            exit(withError: error)
        }
    }
}
