/// The client's verdict over a finished `ProbeTally`, printed as one JSON line.
struct ProbeSummary {
    /// The longest send-time interval between two consecutive answered probes.
    struct Gap {
        var before: Int
        var after: Int
        var length: UInt64
    }

    let tally: ProbeTally
    let answered: Int
    let answeredByBoth: Int
    let perName: [Int]
    let gap: Gap?
    /// The interval before the first probe answered by a name other than the first answerer's
    /// (the takeover, even when a longer gap happened elsewhere).
    let switchGap: Gap?
    let firstAnswered: Int?
    let lastAnswered: Int?

    init(_ tally: ProbeTally) {
        self.tally = tally
        var answered = 0
        var both = 0
        var perName = Array(repeating: 0, count: tally.names.count)
        var gap: Gap?
        var switchGap: Gap?
        var first: Int?
        var previous: Int?
        for sequence in 0..<tally.sent where tally.answerMasks[sequence] != 0 {
            let mask = tally.answerMasks[sequence]
            answered += 1
            if mask.nonzeroBitCount >= 2 { both += 1 }
            for index in perName.indices where mask & (UInt8(1) << UInt8(index)) != 0 { perName[index] += 1 }
            if first == nil { first = sequence }
            if let previous {
                let length = tally.sendOffsets[sequence] - tally.sendOffsets[previous]
                let candidate = Gap(before: previous, after: sequence, length: length)
                if gap.map({ length > $0.length }) ?? true { gap = candidate }
                if switchGap == nil, let first, mask & ~Self.lowestBit(tally.answerMasks[first]) != 0 {
                    switchGap = candidate
                }
            }
            previous = sequence
        }
        precondition(answered <= tally.sent, "more answered than sent")
        self.answered = answered
        self.answeredByBoth = both
        self.perName = perName
        self.gap = gap
        self.switchGap = switchGap
        self.firstAnswered = first
        self.lastAnswered = previous
    }

    /// One line of JSON; times are milliseconds since the first probe was sent.
    func json(options: ClientOptions, duration: UInt64) -> String {
        let ms = ProbeDuration.milliseconds
        var fields: [String] = [
            "\"target\":\(Self.quoted(options.targetText))", "\"port\":\(options.port)",
            "\"interval_ms\":\(ms(options.interval))", "\"sent\":\(tally.sent)",
            "\"answered\":\(answered)", "\"lost\":\(tally.sent - answered)",
            "\"answered_by_both\":\(answeredByBoth)",
        ]
        let answers = tally.names.indices.map { index in
            "\(Self.quoted(String(decoding: tally.names[index], as: UTF8.self))):\(perName[index])"
        }
        fields.append("\"answers\":{\(answers.joined(separator: ","))}")
        if let gap {
            fields += [
                "\"gap_ms\":\(ms(gap.length))",
                "\"gap_before\":\(Self.quoted(tally.label(tally.answerMasks[gap.before])))",
                "\"gap_after\":\(Self.quoted(tally.label(tally.answerMasks[gap.after])))",
                "\"gap_start_ms\":\(ms(tally.sendOffsets[gap.before]))",
                "\"first_after_gap_ms\":\(ms(tally.sendOffsets[gap.after]))",
            ]
        } else {
            fields += [
                "\"gap_ms\":null", "\"gap_before\":null", "\"gap_after\":null",
                "\"gap_start_ms\":null", "\"first_after_gap_ms\":null",
            ]
        }
        if let switchGap {
            fields += [
                "\"switch_gap_ms\":\(ms(switchGap.length))",
                "\"switch_at_ms\":\(ms(tally.sendOffsets[switchGap.after]))",
            ]
        } else {
            fields += ["\"switch_gap_ms\":null", "\"switch_at_ms\":null"]
        }
        fields += [
            "\"unanswered_head\":\(firstAnswered ?? tally.sent)",
            "\"unanswered_tail\":\(lastAnswered.map { tally.sent - 1 - $0 } ?? tally.sent)",
            "\"duplicates\":\(tally.duplicates)", "\"strays\":\(tally.strays)",
            "\"names_overflow\":\(tally.namesOverflow)", "\"send_errors\":\(tally.sendErrors)",
            "\"late_max_ms\":\(ms(tally.lateMax))", "\"duration_ms\":\(ms(duration))",
        ]
        return "{\(fields.joined(separator: ","))}"
    }

    /// The lowest set bit of `mask`: the first known name that answered.
    static func lowestBit(_ mask: UInt8) -> UInt8 {
        precondition(mask != 0, "an answered probe has at least one name")
        return mask & (~mask &+ 1)
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
