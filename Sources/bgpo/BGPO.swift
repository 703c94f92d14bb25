import ArgumentParser
import Kernels

@main
struct BGPOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bgpo")
    func run() throws { print(BLAS.coreName) }
}
