import Foundation
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A minimal HTTP/1.1 keep-alive connection for the benchmark's load: one socket, one request at
/// a time, responses framed by `Content-Length` (or one chunked event stream). Used blocking, on
/// a thread of its own (setup, stream watchers), or from a ``LoadDriver``'s `poll` loop. It keeps
/// the load generator's own CPU small and off the server's event loops (no connection pool, no
/// NIO), so that the figures describe the server.
///
/// `@unchecked Sendable`: one thread uses a connection; only ``stop()`` is called from another.
final class LoadConnection: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The socket (for `poll`; see ``LoadDriver``).
    let socket: Int32
    /// Bytes received and not yet consumed.
    private var pending: [UInt8] = []
    /// What one `recv` reads into (reused).
    private var chunk = [UInt8](repeating: 0, count: 16_384)

    init(port: Int) throws {
        #if canImport(Glibc)
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard socket >= 0 else { throw Failure(description: "socket() failed: \(errno)") }
        var noDelay: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw Failure(description: "connect() to port \(port) failed: \(errno)")
        }
    }

    deinit { close(socket) }

    /// Sends one request and reads its response.
    func exchange(_ method: String, _ path: String, headers: [(String, String)], body: String) throws -> (status: Int, body: [UInt8]) {
        try write(Self.request(method, path, headers: headers, body: body))
        return try readResponse()
    }

    /// The bytes of a request with a body.
    static func request(_ method: String, _ path: String, headers: [(String, String)], body: String) -> [UInt8] {
        var request: [UInt8] = []
        request.reserveCapacity(512 + body.utf8.count)
        request += "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.utf8.count)\r\n".utf8
        for (name, value) in headers { request += name.utf8; request += ": ".utf8; request += value.utf8; request += "\r\n".utf8 }
        request += "\r\n".utf8
        request += body.utf8
        return request
    }

    /// Sends a GET for a Server-Sent Events stream and reads it until the connection ends (see
    /// ``stop()``), calling `received` with each message's `id` as it arrives.
    func readEvents(_ path: String, headers: [(String, String)], received: (Substring) -> Void) throws {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try write(Array((request + "\r\n").utf8))
        let headEnd = try receive(until: Self.blankLine)
        pending.removeFirst(headEnd + 4)
        // The body is chunked: `<hex size>\r\n<bytes>\r\n`; messages end with a blank line.
        var text: [UInt8] = []
        while true {
            let lineEnd = try receive(until: Self.lineEnd)
            guard let size = Self.integer(pending[..<lineEnd], radix: 16), size > 0 else { return }
            while pending.count < lineEnd + 2 + size + 2 { try receive() }
            text += pending[(lineEnd + 2)..<(lineEnd + 2 + size)]
            pending.removeFirst(lineEnd + 2 + size + 2)
            while let end = Self.find([10, 10], in: text) {
                // The message's `id: ` line, if it has one.
                var lineStart = 0
                while lineStart < end {
                    let lineEnd = text[lineStart..<end].firstIndex(of: 10) ?? end
                    if text[lineStart..<lineEnd].starts(with: Self.idField) {
                        received(Substring(decoding: text[(lineStart + Self.idField.count)..<lineEnd], as: UTF8.self))
                        break
                    }
                    lineStart = lineEnd + 1
                }
                text.removeFirst(end + 2)
            }
        }
    }

    /// Ends the connection from another thread: a read blocked on it returns.
    func stop() {
        shutdown(socket, Int32(SHUT_RDWR))
    }

    /// Sends `bytes` (a whole request).
    func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let written = bytes.withUnsafeBytes { sendBytes(socket, $0.baseAddress! + sent, bytes.count - sent) }
            guard written > 0 else { throw Failure(description: "send() failed: \(errno)") }
            sent += written
        }
    }

    /// Reads one response framed by `Content-Length`.
    private func readResponse() throws -> (status: Int, body: [UInt8]) {
        while true {
            if let response = try takeResponse() { return response }
            try receive()
        }
    }

    /// Takes the first response from the bytes received so far: nil until all of it has arrived.
    /// The head is parsed as bytes (the load generator shares the machine with the server: its
    /// CPU is kept small).
    func takeResponse() throws -> (status: Int, body: [UInt8])? {
        guard let headEnd = Self.find(Self.blankLine, in: pending) else { return nil }
        let head = pending[..<headEnd]
        // "HTTP/1.1 201 Created": the status is the three digits after the first space.
        guard let space = head.firstIndex(of: 32), space + 4 <= headEnd, let status = Self.integer(head[(space + 1)..<(space + 4)], radix: 10)
        else { throw Failure(description: "bad status line") }
        var length: Int?
        var lineStart = (head.firstIndex(of: 10) ?? headEnd) + 1
        while lineStart < headEnd, length == nil {
            let lineEnd = head[lineStart...].firstIndex(of: 13) ?? headEnd
            let line = head[lineStart..<lineEnd]
            if line.count > Self.contentLength.count,
               zip(line, Self.contentLength).allSatisfy({ ($0 | 0x20) == $1 }) {
                length = Self.integer(line.dropFirst(Self.contentLength.count).drop { $0 == 32 }, radix: 10)
            }
            lineStart = lineEnd + 2
        }
        guard let length else { throw Failure(description: "a response without Content-Length") }
        let bodyStart = headEnd + 4
        guard pending.count >= bodyStart + length else { return nil }
        let body = Array(pending[bodyStart..<bodyStart + length])
        pending.removeFirst(bodyStart + length)
        return (status, body)
    }

    private static let blankLine: [UInt8] = Array("\r\n\r\n".utf8)
    private static let lineEnd: [UInt8] = Array("\r\n".utf8)
    /// Lowercase, matched against a header line with its letters lowercased.
    private static let contentLength: [UInt8] = Array("content-length:".utf8)
    private static let idField: [UInt8] = Array("id: ".utf8)

    /// Receives until `needle` is in the pending bytes; returns where it starts.
    private func receive(until needle: [UInt8]) throws -> Int {
        while true {
            if let found = Self.find(needle, in: pending) { return found }
            try receive()
        }
    }

    /// Receives what one `recv` returns (blocking until something arrives).
    func receive() throws {
        let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress!, $0.count, 0) }
        guard count > 0 else { throw Failure(description: count == 0 ? "the server closed the connection" : "recv() failed: \(errno)") }
        pending.append(contentsOf: chunk[..<count])
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return start }
        }
        return nil
    }

    /// The digits of `bytes` as an integer (nil if it has none, or anything else).
    private static func integer(_ bytes: some Collection<UInt8>, radix: Int) -> Int? {
        guard !bytes.isEmpty else { return nil }
        var value = 0
        for byte in bytes {
            let digit: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = Int(byte - UInt8(ascii: "A")) + 10
            default: return nil
            }
            guard digit < radix else { return nil }
            value = value * radix + digit
        }
        return value
    }
}

/// `send(2)`, without SIGPIPE when the server has gone.
private func sendBytes(_ socket: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    send(socket, bytes, count, Int32(MSG_NOSIGNAL))
    #else
    send(socket, bytes, count, 0)
    #endif
}
