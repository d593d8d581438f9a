using System.Text;

namespace Strata.Tiering;

/// <summary>Escapes literals for Redis globs, so that a key prefix or a namespace matches only itself.</summary>
internal static class GlobEscape
{
    /// <summary>The glob that matches exactly <paramref name="literal"/>: <c>* ? [ ] \</c> are escaped.</summary>
    internal static string Literal(string literal)
    {
        var escaped = new StringBuilder(literal.Length + 4);
        foreach (char c in literal)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }
}
