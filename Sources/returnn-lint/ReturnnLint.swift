import ArgumentParser

/// The `returnn-lint` command: finds, explains, fixes and verifies unmask problems in RETURNN configs.
@main
struct ReturnnLint: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "returnn-lint",
        abstract: "Lint RETURNN network configs (JSON/YAML): rec loops, dim tags, masked computation and unmask.",
        version: version,
        subcommands: [CheckCommand.self, DimsCommand.self, RuleCommand.self, EvalCommand.self],
        defaultSubcommand: CheckCommand.self
    )

    /// Runs the command; usage errors exit with 2 (not ArgumentParser's 64), as ruff does.
    static func main() {
        do {
            var command = try parseAsRoot()
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
