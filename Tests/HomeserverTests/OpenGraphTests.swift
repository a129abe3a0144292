import Homeserver
import Testing

@Suite("Open Graph metadata of HTML pages")
struct OpenGraphTests {
    @Test("og properties in any quoting and case, first one wins, entities decoded")
    func properties() {
        let html = """
            <html><head><TITLE> Ignored
              title </TITLE>
            <META property="og:title" content="Caf&eacute; &amp; Bar &#x263A; &#9731;">
            <meta content='A "quoted" description' property='og:description' />
            <meta property=og:type content=article>
            <meta property="og:title" content="second title">
            <meta name="og:image" content="/img/a.png">
            <meta name="description" content="plain description">
            <metadata property="og:site_name" content="not a meta tag">
            </head></html>
            """
        let properties = OpenGraph.properties(ofHTML: Array(html.utf8))
        #expect(properties["og:title"] == "Caf&eacute; & Bar ☺ ☃")
        #expect(properties["og:description"] == "A \"quoted\" description")
        #expect(properties["og:type"] == "article")
        #expect(properties["og:image"] == "/img/a.png")
        #expect(properties["og:site_name"] == nil)
    }

    @Test("without og tags the title and description stand in")
    func fallbacks() {
        let html = "<html><head><title>Just &lt;a&gt;   page</title><meta name=description content=\"About it\"></head></html>"
        #expect(OpenGraph.properties(ofHTML: Array(html.utf8)) == ["og:title": "Just <a> page", "og:description": "About it"])
        #expect(OpenGraph.properties(ofHTML: Array("no html at all <meta".utf8)).isEmpty)
    }
}
