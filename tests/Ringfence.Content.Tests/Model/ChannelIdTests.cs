using Ringfence.Content;

namespace Ringfence.Content.Tests.Model;

public class ChannelIdTests
{
    [Theory]
    [InlineData("C-00000291", true)]
    [InlineData("291", true)]
    [InlineData("a.b_c-d", true)]
    [InlineData("...", true)]
    [InlineData("../../etc", false)]
    [InlineData("..", false)]
    [InlineData(".", false)]
    [InlineData("a/b", false)]
    [InlineData("a b", false)]
    [InlineData("", false)]
    [InlineData("é", false)]
    public void IsValid_TargetPathSegments_OnlySafeOnes(string id, bool valid) => ChannelId.IsValid(id).ShouldBe(valid);

    [Fact]
    public void IsValid_LongerThan64_False() => ChannelId.IsValid(new string('a', 65)).ShouldBeFalse();

    [Fact]
    public void ReadChannelFile_IdNotATargetPath_ErrorAtId()
    {
        var result = ContentJson.ReadChannelFile("""{"id": "../../etc", "templateType": "ipc", "version": 1, "instances": []}""");
        result.Succeeded.ShouldBeFalse();
        result.Errors.ShouldHaveSingleItem().Path.ShouldBe("$.id");
        result.Errors[0].Message.ShouldContain("not a channel id");
    }
}
