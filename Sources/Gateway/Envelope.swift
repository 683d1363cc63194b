import Domain
import Hummingbird
import NIOCore

/// The website's response envelope.
///
/// Success: `{"ok":true,"data":…,"error":null}`, plus `"position"` (the tenant's log position
/// after the write) on writes. Failure: `{"ok":false,"data":null,"error":"<message>","code":"<code>"}`
/// with the RFC 9457 members (`type`, `title`, `status`, `detail`) alongside, served as
/// `application/json` (what the website's clients read), or as `application/problem+json` when
/// the request's `Accept` asks for it.
public enum Envelope {
    public static func ok(_ data: JSONValue, status: HTTPResponse.Status = .ok, position: Int64? = nil) -> Response {
        json(okBytes(data, position: position), status: status)
    }

    /// The bytes of a success envelope (what ``ok(_:status:position:)`` answers).
    static func okBytes(_ data: JSONValue, position: Int64? = nil) -> [UInt8] {
        var body: [String: JSONValue] = ["ok": true, "data": data, "error": .null]
        if let position { body["position"] = .integer(position) }
        var bytes: [UInt8] = []
        JSONWriter.write(.object(body), into: &bytes)
        return bytes
    }

    /// A JSON response of `bytes` (an envelope).
    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "private, no-store, no-cache, must-revalidate"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    public static func error(_ error: APIError, problem: Bool = false) -> Response {
        let body: JSONValue = [
            "ok": false, "data": .null, "error": .string(error.message), "code": .string(error.code),
            "type": "about:blank", "title": .string(error.status.reasonPhrase), "status": .integer(Int64(error.status.code)),
            "detail": .string(error.message),
        ]
        var response = response(body, status: error.status, contentType: problem ? "application/problem+json" : "application/json; charset=utf-8")
        for field in error.headers { response.headers.append(field) }
        return response
    }

    private static func response(_ body: JSONValue, status: HTTPResponse.Status, contentType: String) -> Response {
        var bytes: [UInt8] = []
        JSONWriter.write(body, into: &bytes)
        return Response(
            status: status,
            headers: [.contentType: contentType, .cacheControl: "private, no-store, no-cache, must-revalidate"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
