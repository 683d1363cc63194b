import Crypto
import EventStore
import Foundation

/// Seals tenant secrets at rest with AES-256-GCM under `CLAWCLOUD_ENCRYPTION_KEY`, and
/// fingerprints them so events can name a secret without holding it.
///
/// Two keys are derived from the configured one with HKDF-SHA256 (one per purpose): the sealing
/// key, and the fingerprint key — a fingerprint is the first 16 hex digits of an HMAC-SHA256 of
/// the value, so it identifies a value without offering a plain hash to guess against. Each
/// sealed value has a fresh 12-byte random nonce and is bound to its tenant and name (as
/// authenticated data): a row copied into another tenant's file, or under another name, does not
/// open.
struct SecretBox: Sendable {
    /// The algorithm recorded with each sealed value.
    static let algorithm = "AES-256-GCM"

    /// The derived keys' bytes (`SymmetricKey` is not `Sendable`; one is made per use).
    private let sealingKey: Data
    private let fingerprintKey: Data

    init(key: Data) {
        let master = SymmetricKey(data: key)
        func derive(_ purpose: String) -> Data {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Data("clawcloud secrets: \(purpose)".utf8), outputByteCount: 32)
                .withUnsafeBytes { Data($0) }
        }
        sealingKey = derive("seal")
        fingerprintKey = derive("fingerprint")
    }

    private var sealing: SymmetricKey { SymmetricKey(data: sealingKey) }
    private var fingerprinting: SymmetricKey { SymmetricKey(data: fingerprintKey) }

    /// A sealed value: ciphertext followed by its 16-byte tag, and the nonce.
    struct Sealed: Sendable, Equatable {
        let ciphertext: Data
        let nonce: Data
    }

    func seal(_ value: String, tenant: String, name: String) throws -> Sealed {
        let box = try AES.GCM.seal(Data(value.utf8), using: sealing, nonce: AES.GCM.Nonce(), authenticating: Self.context(tenant, name))
        return Sealed(ciphertext: box.ciphertext + box.tag, nonce: Data(box.nonce))
    }

    /// The value, or nil when the sealed bytes do not open under this key for this tenant and name.
    func open(_ sealed: Sealed, tenant: String, name: String) -> String? {
        guard sealed.ciphertext.count >= 16, let nonce = try? AES.GCM.Nonce(data: sealed.nonce),
              let box = try? AES.GCM.SealedBox(nonce: nonce, ciphertext: sealed.ciphertext.dropLast(16), tag: sealed.ciphertext.suffix(16)),
              let plain = try? AES.GCM.open(box, using: sealing, authenticating: Self.context(tenant, name)) else { return nil }
        return String(decoding: plain, as: UTF8.self)
    }

    /// 16 hex digits that identify `value` (the same value, the same fingerprint, under one key).
    func fingerprint(_ value: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: fingerprinting).prefix(8).hexString
    }

    private static func context(_ tenant: String, _ name: String) -> Data {
        Data("\(tenant)\n\(name)".utf8)
    }
}
