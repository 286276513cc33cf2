import DuplexLinux
import Testing

@Suite struct KernelPreemptionTests {
    @Test func theBestSourceDecides() {
        let dynamic = "#1 SMP PREEMPT_DYNAMIC Fri Nov 27"
        #expect(KernelPreemption.judge(realtimeFlag: "1\n", debugfsMode: nil, commandLine: nil, version: dynamic) == .realtime)
        #expect(KernelPreemption.judge(realtimeFlag: nil, debugfsMode: nil, commandLine: nil, version: "#1 SMP PREEMPT_RT") == .realtime)
        #expect(
            KernelPreemption.judge(realtimeFlag: nil, debugfsMode: "none voluntary (full) lazy\n", commandLine: "preempt=none", version: dynamic)
                == .full, "debugfs shows the mode in effect")
        #expect(KernelPreemption.judge(realtimeFlag: "0", debugfsMode: "(none) voluntary full", commandLine: nil, version: dynamic) == .none)
        #expect(KernelPreemption.judge(realtimeFlag: nil, debugfsMode: nil, commandLine: "ro quiet preempt=voluntary\n", version: dynamic) == .voluntary)
        #expect(KernelPreemption.judge(realtimeFlag: nil, debugfsMode: nil, commandLine: "ro preempt=lazy", version: dynamic) == .full)
        #expect(KernelPreemption.judge(realtimeFlag: nil, debugfsMode: nil, commandLine: "ro quiet", version: dynamic) == .dynamicUnknown)
        #expect(KernelPreemption.judge(realtimeFlag: nil, debugfsMode: nil, commandLine: nil, version: "#1 SMP PREEMPT Mon") == .full)
        #expect(KernelPreemption.judge(realtimeFlag: nil, debugfsMode: nil, commandLine: nil, version: "#1 SMP Mon") == .noneOrVoluntary)
        #expect(KernelPreemption.judge(realtimeFlag: nil, debugfsMode: "garbage", commandLine: "preempt=bogus", version: "#1 SMP") == .noneOrVoluntary)
    }

    @Test func onlyFullAndRealtimeNeverHoldOffARealTimeThread() {
        let all: [KernelPreemption] = [.realtime, .full, .voluntary, .none, .noneOrVoluntary, .dynamicUnknown]
        #expect(all.filter { !$0.holdsOffRealTime } == [.realtime, .full])
    }
}
