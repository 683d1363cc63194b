import Foundation
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A minimal blocking HTTP/1.1 keep-alive connection for the benchmark's load: one socket, one
/// request at a time, responses framed by `Content-Length` (or one chunked event stream). It
/// keeps the load generator's own CPU small and off the server's event loops (no connection
/// pool, no event loop: a thread blocked in `recv`), so that the figures describe the server.
///
/// `@unchecked Sendable`: one thread uses a connection; only ``stop()`` is called from another.
final class LoadConnection: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let socket: Int32
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
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.utf8.count)\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n" + body
        try write(Array(request.utf8))
        return try readResponse()
    }

    /// Sends a GET for a Server-Sent Events stream and reads it until the connection ends (see
    /// ``stop()``), calling `received` with each message's `id` as it arrives.
    func readEvents(_ path: String, headers: [(String, String)], received: (Substring) -> Void) throws {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try write(Array((request + "\r\n").utf8))
        var headEnd = Self.find([13, 10, 13, 10], in: pending)
        while headEnd == nil {
            try receive()
            headEnd = Self.find([13, 10, 13, 10], in: pending)
        }
        pending.removeFirst(headEnd! + 4)
        // The body is chunked: `<hex size>\r\n<bytes>\r\n`; messages end with a blank line.
        var text = ""
        while true {
            var lineEnd = Self.find([13, 10], in: pending)
            while lineEnd == nil {
                try receive()
                lineEnd = Self.find([13, 10], in: pending)
            }
            guard let size = Int(String(decoding: pending[..<lineEnd!], as: UTF8.self), radix: 16), size > 0 else { return }
            while pending.count < lineEnd! + 2 + size + 2 { try receive() }
            text += String(decoding: pending[(lineEnd! + 2)..<(lineEnd! + 2 + size)], as: UTF8.self)
            pending.removeFirst(lineEnd! + 2 + size + 2)
            while let end = text.range(of: "\n\n") {
                if let line = text[..<end.lowerBound].split(separator: "\n").first(where: { $0.hasPrefix("id: ") }) { received(line.dropFirst(4)) }
                text.removeSubrange(..<end.upperBound)
            }
        }
    }

    /// Ends the connection from another thread: a read blocked on it returns.
    func stop() {
        shutdown(socket, Int32(SHUT_RDWR))
    }

    private func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let written = bytes.withUnsafeBytes { sendBytes(socket, $0.baseAddress! + sent, bytes.count - sent) }
            guard written > 0 else { throw Failure(description: "send() failed: \(errno)") }
            sent += written
        }
    }

    private func readResponse() throws -> (status: Int, body: [UInt8]) {
        var headEnd: Int?
        while true {
            headEnd = Self.find([13, 10, 13, 10], in: pending)
            if headEnd != nil { break }
            try receive()
        }
        let head = String(decoding: pending[..<headEnd!], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line: \(lines.first ?? "")") }
        guard let length = lines.dropFirst().lazy.compactMap({ line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespaces))
        }).first else { throw Failure(description: "a response without Content-Length") }
        let bodyStart = headEnd! + 4
        while pending.count < bodyStart + length { try receive() }
        let body = Array(pending[bodyStart..<bodyStart + length])
        pending.removeFirst(bodyStart + length)
        return (status, body)
    }

    private func receive() throws {
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
}

/// `send(2)`, without SIGPIPE when the server has gone.
private func sendBytes(_ socket: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    send(socket, bytes, count, Int32(MSG_NOSIGNAL))
    #else
    send(socket, bytes, count, 0)
    #endif
}
