import Crypto

/// The id ClawCloud sends the runtime as `x-oa-instance-id` for a tenant.
///
/// The runtime sanitizes the id it gets (`a–z 0–9` kept, every other character `-`, runs of `-`
/// collapsed), so tenant ids such as `agent:zed01` and `agent-zed01` would share one sandbox if
/// sent as they are. The sandbox id is `oc-` and the SHA-256 of the tenant id in lowercase
/// base32 (52 characters of `a–z 2–7`): the runtime's sanitizing leaves it unchanged, it fits a
/// DNS label (55 characters), and two tenants get the same one only if SHA-256 collides.
///
/// It is chosen when an instance is provisioned and recorded in `instance.provision_requested`;
/// the recorded one is used ever after. An instance provisioned before it was recorded keeps the
/// tenant id, under which the runtime holds its state.
public enum SandboxID {
    public static func of(tenant: String) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var out = "oc-"
        var buffer: UInt64 = 0
        var bits = 0
        for byte in SHA256.hash(data: Array(tenant.utf8)) {
            buffer = (buffer << 8) | UInt64(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((buffer >> UInt64(bits)) & 31)])
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt64(5 - bits)) & 31)]) }
        return out
    }
}
