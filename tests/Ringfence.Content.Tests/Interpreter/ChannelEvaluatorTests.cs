using Ringfence.Content;

namespace Ringfence.Content.Tests.Interpreter;

public class ChannelEvaluatorTests
{
    [Fact]
    public void Evaluate_291On20Values_FaultsThatInstanceOnlyAndNeverThrows()
    {
        var compiled = CompiledChannel.Compile(TestContent.Channel291(Criterion.Regex("^[0-9a-f]{64}$")), TestContent.Ipc21);
        var reported = new List<EvaluationFault>();
        var evaluator = compiled.CreateEvaluator(reported.Add);

        var result = evaluator.Evaluate(TestContent.IpcEvent(20));

        result.MatchedIds.ShouldBe(["ipc-old"]); // the other instance still works
        var fault = result.NewFaults.ShouldHaveSingleItem();
        fault.Kind.ShouldBe(FaultKind.MissingField);
        fault.InstanceId.ShouldBe("ipc-0291");
        fault.FieldNumber.ShouldBe(21);
        fault.SuppliedValues.ShouldBe(20);
        reported.ShouldBe([fault]);
        evaluator.IsDisabled(1).ShouldBeTrue();
    }

    [Fact]
    public void CurrentInstance_DuringEvaluation_NamesTheInstanceBeingEvaluatedThenResets()
    {
        var compiled = CompiledChannel.Compile(TestContent.Channel291(Criterion.Regex("^[0-9a-f]{64}$")), TestContent.Ipc21);
        ChannelEvaluator? evaluator = null;
        var seen = new List<int>();
        evaluator = compiled.CreateEvaluator(_ => seen.Add(evaluator!.CurrentInstance)); // the callback runs inside the evaluation
        evaluator.CurrentInstance.ShouldBe(-1);

        evaluator.Evaluate(TestContent.IpcEvent(20));

        // The fault is on the second instance (ipc-0291), and that is the instance the evaluator says it is on; not the first.
        seen.ShouldBe([1]);
        evaluator.CurrentInstance.ShouldBe(-1);
    }

    [Fact]
    public void Evaluate_AfterFault_InstanceStaysDisabledAndIsReportedOnce()
    {
        var evaluator = CompiledChannel.Compile(TestContent.Channel291(Criterion.Exact("abc")), TestContent.Ipc21).CreateEvaluator();

        for (var i = 0; i < 5; i++)
            evaluator.Evaluate(TestContent.IpcEvent(20));
        var full = evaluator.Evaluate(TestContent.IpcEvent(21, field21: "abc"));

        evaluator.Faults.Count.ShouldBe(1);
        full.MatchedIds.ShouldBe(["ipc-old"]); // disabled, even though this event is complete
    }

    [Fact]
    public void Evaluate_WildcardOnMissingField_NoFault()
    {
        var evaluator = CompiledChannel.Compile(TestContent.Channel291(Criterion.Wildcard), TestContent.Ipc21).CreateEvaluator();

        var result = evaluator.Evaluate(TestContent.IpcEvent(20));

        result.NewFaults.ShouldBeEmpty();
        result.MatchedIds.ShouldBe(["ipc-old", "ipc-0291"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(19)]
    public void Evaluate_ShortEvents_EveryInstanceNeedingMoreFaultsWithoutException(int length)
    {
        var evaluator = CompiledChannel.Compile(TestContent.Channel291(Criterion.Exact("abc")), TestContent.Ipc21).CreateEvaluator();

        var result = evaluator.Evaluate(TestContent.IpcEvent(length));

        result.MatchedIds.ShouldBe(length == 0 ? [] : ["ipc-old"]); // ipc-old only needs field 1
        result.NewFaults.Select(f => (f.InstanceId, f.FieldNumber)).ShouldBe(
            length == 0 ? [("ipc-old", 1), ("ipc-0291", 1)] : [("ipc-0291", 21)]);
    }

    [Fact]
    public void Evaluate_WrongValueType_TypeMismatchFault()
    {
        var type = new TemplateType("t", "t", [TemplateField.Integer("port")]);
        var file = new ChannelFile("c", "t", 1, [new TemplateInstance("i", "detect", Severity.Low, [Criterion.Range(1, 10)])]);
        var evaluator = CompiledChannel.Compile(file, type).CreateEvaluator();

        var result = evaluator.Evaluate(["not a number"]);

        result.NewFaults.ShouldHaveSingleItem().Kind.ShouldBe(FaultKind.TypeMismatch);
    }

    [Fact]
    public void Evaluate_SpanOverload_ReportsMatchesWithoutAllocatingResults()
    {
        var evaluator = CompiledChannel.Compile(TestContent.Channel291(Criterion.Exact("abc")), TestContent.Ipc21).CreateEvaluator();
        Span<int> matches = stackalloc int[1];

        var n = evaluator.Evaluate(TestContent.IpcEvent(21, field21: "abc"), matches);

        n.ShouldBe(2); // both matched, only the first index fits the buffer
        matches[0].ShouldBe(0);
    }

    [Theory]
    [InlineData(20, 1)]
    [InlineData(21, 0)]
    [InlineData(0, 2)]
    public void PredictFaults_AgreesWithEvaluator(int supplied, int expected)
    {
        var compiled = CompiledChannel.Compile(TestContent.Channel291(Criterion.Exact("abc")), TestContent.Ipc21);
        var evaluator = compiled.CreateEvaluator();
        evaluator.Evaluate(TestContent.IpcEvent(supplied));

        var predicted = compiled.PredictFaults(supplied);

        predicted.Count.ShouldBe(expected);
        predicted.ShouldBe(evaluator.Faults);
    }

    [Fact]
    public void RequiredValues_IsHighestNonWildcardField()
    {
        CompiledChannel.Compile(TestContent.Channel291(Criterion.Exact("x")), TestContent.Ipc21).RequiredValues.ShouldBe(21);
        CompiledChannel.Compile(TestContent.Channel291(Criterion.Wildcard), TestContent.Ipc21).RequiredValues.ShouldBe(1);
    }

    [Fact]
    public void Compile_TooFewCriteria_Refused()
    {
        var file = new ChannelFile("c", "ipc", 1, [new TemplateInstance("short", "detect", Severity.Low, [Criterion.Exact("x")])]);

        var ex = Should.Throw<ContentCompileException>(() => CompiledChannel.Compile(file, TestContent.Ipc21));

        ex.InstanceId.ShouldBe("short");
        ex.Message.ShouldContain("1 criteria but template type ipc has 21 fields");
    }

    [Theory]
    [InlineData(@"(a)\1")]
    [InlineData("(?=a)a")]
    [InlineData("(unclosed")]
    public void Compile_RegexTheEngineRefuses_ContentCompileException(string pattern)
    {
        var file = TestContent.Channel291(Criterion.Regex(pattern));

        Should.Throw<ContentCompileException>(() => CompiledChannel.Compile(file, TestContent.Ipc21)).FieldIndex.ShouldBe(20);
    }

    [Fact]
    public void Compile_WrongTypeId_Refused() =>
        Should.Throw<ContentCompileException>(() => CompiledChannel.Compile(TestContent.Channel291(Criterion.Wildcard), TestContent.Ipc21 with { Id = "other" }));

    [Fact]
    public void Compile_RangeOnStringField_Refused() =>
        Should.Throw<ContentCompileException>(() => CompiledChannel.Compile(TestContent.Channel291(Criterion.Range(1, 2)), TestContent.Ipc21));
}
