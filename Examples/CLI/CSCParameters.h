// The command-line tools' parameters, declared once per tool: the table gives the parser (TCLAP),
// --help, and the 3D Slicer ModuleDescription XML that --xml prints, so the three cannot drift.
// Defaults, choices and bounds are read from the table by the tools as well.
#ifndef CSCParameters_h
#define CSCParameters_h

#include "CSCInputs.h" // UsageError
#include <tclap/CmdLine.h>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace csc
{
/** The Slicer parameter types the tools use. */
enum class Kind
{
  Image,
  File,
  Float,
  Integer,
  Boolean,
  Enumeration,
  String,
  FloatVector,
  IntegerVector
};

/** One parameter: --Flag on the command line, <Name> (Flag in camelCase) in the XML. Built with
 * the chained setters, e.g. Parameter(Kind::Float, "lambda", "Lambda", "...").Default("0.05"). */
struct Parameter
{
  Kind                     Type;
  std::string              Flag;
  std::string              Label;
  std::string              Description;
  std::string              DefaultValue;
  std::string              ValueHint;
  std::string              Channel{ "input" };
  std::string              Extensions;
  std::vector<std::string> Elements;
  double                   Minimum{ std::numeric_limits<double>::quiet_NaN() };
  double                   Maximum{ std::numeric_limits<double>::quiet_NaN() };
  int                      Index{ -1 };
  bool                     Multiple{ false };

  Parameter(Kind type, std::string flag, std::string label, std::string description)
    : Type(type)
    , Flag(std::move(flag))
    , Label(std::move(label))
    , Description(std::move(description))
  {}
  Parameter &&
  Default(std::string value) &&
  {
    DefaultValue = std::move(value);
    return std::move(*this);
  }
  Parameter &&
  Hint(std::string hint) &&
  {
    ValueHint = std::move(hint);
    return std::move(*this);
  }
  /** An output; with extensions (".png"), --help names the value FILE.png. */
  Parameter &&
  Output(std::string extensions = "") &&
  {
    Channel = "output";
    Extensions = std::move(extensions);
    if (!Extensions.empty() && ValueHint.empty())
    {
      ValueHint = "FILE" + Extensions.substr(0, Extensions.find(','));
    }
    return std::move(*this);
  }
  Parameter &&
  Extension(std::string extensions) &&
  {
    Extensions = std::move(extensions);
    return std::move(*this);
  }
  Parameter &&
  Choices(std::vector<std::string> elements) &&
  {
    Elements = std::move(elements);
    return std::move(*this);
  }
  Parameter &&
  Range(double minimum, double maximum = std::numeric_limits<double>::quiet_NaN()) &&
  {
    Minimum = minimum;
    Maximum = maximum;
    return std::move(*this);
  }
  /** Slicer passes it as the index-th positional argument; people may also give --Flag. */
  Parameter &&
  Positional(int index) &&
  {
    Index = index;
    return std::move(*this);
  }
  Parameter &&
  Repeatable() &&
  {
    Multiple = true;
    return std::move(*this);
  }

  std::string
  Name() const
  {
    std::string name;
    bool        upper = false;
    for (const char c : Flag)
    {
      if (c == '-')
      {
        upper = true;
        continue;
      }
      name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      upper = false;
    }
    return name;
  }
};

struct ParameterGroup
{
  std::string            Label;
  std::string            Description;
  std::vector<Parameter> Parameters;
  bool                   Advanced{ false };
};

/** A scalar result written to --returnparameterfile ("name = value"). */
struct ReturnValue
{
  Kind        Type;
  std::string Name;
  std::string Label;
  std::string Description;
};

struct ToolDescription
{
  std::string                 Name;
  std::string                 Title;
  std::string                 Usage;       // the --help synopsis, one or more lines
  std::string                 Description; // what the tool solves; also the XML description
  std::vector<ParameterGroup> Groups;
  std::vector<ReturnValue>    Returns;

  const Parameter *
  Find(const std::string & flag) const
  {
    const std::string bare = flag.rfind("--", 0) == 0 ? flag.substr(2) : flag;
    for (const auto & group : Groups)
    {
      for (const auto & parameter : group.Parameters)
      {
        if (parameter.Flag == bare)
        {
          return &parameter;
        }
      }
    }
    return nullptr;
  }
  const Parameter &
  Declared(const std::string & flag) const
  {
    const Parameter * parameter = Find(flag);
    if (parameter == nullptr)
    {
      throw std::logic_error(Name + ": " + flag + " is not declared in the tool's parameter table");
    }
    return *parameter;
  }
};

/** Version and credits shared by the tools' XML. */
constexpr const char * ModuleVersion = "0.1.0";

inline std::string
XmlEscape(const std::string & text)
{
  std::string out;
  for (const char c : text)
  {
    switch (c)
    {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

inline const char *
SlicerElementName(Kind type)
{
  switch (type)
  {
    case Kind::Image:
      return "image";
    case Kind::File:
      return "file";
    case Kind::Float:
      return "float";
    case Kind::Integer:
      return "integer";
    case Kind::Boolean:
      return "boolean";
    case Kind::Enumeration:
      return "string-enumeration";
    case Kind::String:
      return "string";
    case Kind::FloatVector:
      return "float-vector";
    case Kind::IntegerVector:
      return "integer-vector";
  }
  return "string";
}

inline std::string
FormatNumber(double value)
{
  std::ostringstream out;
  out << value;
  return out.str();
}

/** The ModuleDescription XML Slicer reads from `Tool --xml`. */
inline std::string
ModuleDescriptionXml(const ToolDescription & tool)
{
  std::ostringstream xml;
  xml << "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<executable>\n"
      << "  <category>Convolutional Sparse Coding</category>\n"
      << "  <title>" << XmlEscape(tool.Title) << "</title>\n"
      << "  <description><![CDATA[" << tool.Description << "]]></description>\n"
      << "  <version>" << ModuleVersion << "</version>\n"
      << "  "
         "<documentation-url>https://github.com/InsightSoftwareConsortium/ITKConvolutionalSparseCoding#readme</"
         "documentation-url>\n"
      << "  <license>Apache 2.0</license>\n"
      << "  <contributor>ITKConvolutionalSparseCoding developers</contributor>\n"
      << "  <acknowledgements><![CDATA[Built on the Insight Toolkit (ITK), FFTW and TCLAP.]]></acknowledgements>\n";
  for (const auto & group : tool.Groups)
  {
    xml << "  <parameters" << (group.Advanced ? " advanced=\"true\"" : "") << ">\n"
        << "    <label>" << XmlEscape(group.Label) << "</label>\n"
        << "    <description><![CDATA[" << group.Description << "]]></description>\n";
    for (const auto & p : group.Parameters)
    {
      const char * element = SlicerElementName(p.Type);
      xml << "    <" << element;
      if (p.Type == Kind::Image)
      {
        xml << " type=\"scalar\"";
      }
      if (!p.Extensions.empty())
      {
        xml << " fileExtensions=\"" << p.Extensions << "\"";
      }
      if (p.Multiple)
      {
        xml << " multiple=\"true\"";
      }
      xml << ">\n      <name>" << p.Name() << "</name>\n      <label>" << XmlEscape(p.Label) << "</label>\n";
      if (p.Index >= 0)
      {
        xml << "      <index>" << p.Index << "</index>\n";
      }
      else
      {
        xml << "      <longflag>" << p.Flag << "</longflag>\n";
      }
      xml << "      <description><![CDATA[" << p.Description << "]]></description>\n";
      if (p.Type == Kind::Image || p.Type == Kind::File)
      {
        xml << "      <channel>" << p.Channel << "</channel>\n";
      }
      if (p.Type == Kind::Boolean)
      {
        xml << "      <default>false</default>\n";
      }
      else if (!p.DefaultValue.empty())
      {
        xml << "      <default>" << XmlEscape(p.DefaultValue) << "</default>\n";
      }
      for (const auto & e : p.Elements)
      {
        xml << "      <element>" << XmlEscape(e) << "</element>\n";
      }
      if (!std::isnan(p.Minimum) || !std::isnan(p.Maximum))
      {
        xml << "      <constraints>\n";
        if (!std::isnan(p.Minimum))
        {
          xml << "        <minimum>" << FormatNumber(p.Minimum) << "</minimum>\n";
        }
        if (!std::isnan(p.Maximum))
        {
          xml << "        <maximum>" << FormatNumber(p.Maximum) << "</maximum>\n";
        }
        xml << "        <step>" << (p.Type == Kind::Integer ? "1" : "0") << "</step>\n      </constraints>\n";
      }
      xml << "    </" << element << ">\n";
    }
    xml << "  </parameters>\n";
  }
  if (!tool.Returns.empty())
  {
    xml << "  <parameters>\n    <label>Results</label>\n"
        << "    <description><![CDATA[Scalar results of the run.]]></description>\n";
    for (const auto & r : tool.Returns)
    {
      const char * element = SlicerElementName(r.Type);
      xml << "    <" << element << ">\n      <name>" << r.Name << "</name>\n      <label>" << XmlEscape(r.Label)
          << "</label>\n      <channel>output</channel>\n      <description><![CDATA[" << r.Description
          << "]]></description>\n    </" << element << ">\n";
    }
    xml << "  </parameters>\n";
  }
  xml << "</executable>\n";
  return xml.str();
}

/** Words of \c text wrapped at \c width, continuation lines indented by \c indent spaces. */
inline std::string
Wrap(const std::string & text, size_t indent, size_t width = 100)
{
  std::istringstream words(text);
  std::string        word, out;
  size_t             column = indent;
  while (words >> word)
  {
    if (column > indent && column + 1 + word.size() > width)
    {
      out += "\n" + std::string(indent, ' ');
      column = indent;
    }
    else if (column > indent)
    {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
  }
  return out;
}

/** --help: the synopsis, the description, then each group's flags with their defaults, choices
 * and bounds, all from the table. */
inline std::string
HelpText(const ToolDescription & tool)
{
  std::ostringstream help;
  help << tool.Usage << "\n\n" << Wrap(tool.Description, 0) << "\n";
  const size_t column = 32;
  for (const auto & group : tool.Groups)
  {
    help << "\n" << group.Label << ":\n";
    for (const auto & p : group.Parameters)
    {
      std::string left = "  --" + p.Flag;
      if (p.Type != Kind::Boolean)
      {
        left += " " + (p.ValueHint.empty() ? std::string(p.Type == Kind::Image || p.Type == Kind::File ? "FILE" : "X")
                                           : p.ValueHint);
        left += p.Multiple ? " [...]" : "";
      }
      std::string text = p.Description;
      std::string notes;
      if (!p.Elements.empty())
      {
        std::string list;
        for (const auto & e : p.Elements)
        {
          list += (list.empty() ? "" : "|") + e;
        }
        notes += "one of " + list;
      }
      if (!p.DefaultValue.empty())
      {
        notes += (notes.empty() ? "" : "; ") + std::string("default ") + p.DefaultValue;
      }
      if (p.Index >= 0)
      {
        notes += (notes.empty() ? "" : "; ") + std::string("or the ") + (p.Index == 0 ? "first" : "second") +
                 " argument without a flag";
      }
      text += notes.empty() ? "" : " (" + notes + ")";
      if (left.size() + 1 > column)
      {
        help << left << "\n" << std::string(column, ' ');
      }
      else
      {
        help << left << std::string(column - left.size(), ' ');
      }
      help << Wrap(text, column) << "\n";
    }
  }
  help << "\nFor 3D Slicer:\n"
       << "  --xml                         print the ModuleDescription XML\n"
       << "  --returnparameterfile FILE    write the results as name = value lines; also reports progress\n"
       << "                                on stdout as <filter-progress> lines\n"
       << "  --processinformationaddress A accepted and ignored (Slicer's shared-library modules use it)\n";
  if (!tool.Returns.empty())
  {
    help << "  results:";
    for (const auto & r : tool.Returns)
    {
      help << " " << r.Name;
    }
    help << "\n";
  }
  return help.str();
}
} // namespace csc

#endif
