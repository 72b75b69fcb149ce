// The command line of a tool parsed by TCLAP against its parameter table (CSCParameters.h).
#ifndef CSCArguments_h
#define CSCArguments_h

#include "CSCParameters.h"
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace csc
{
/** One number, parsed completely (no trailing characters), finite. */
inline double
ParseNumber(const std::string & text, const std::string & flag)
{
  try
  {
    size_t       used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size() && std::isfinite(value))
    {
      return value;
    }
  }
  catch (const std::exception &)
  {}
  throw UsageError(flag + " needs a finite number, got '" + text + "'");
}

/** The command line parsed by TCLAP against the tool's parameter table (CSCParameters.h), plus
 * Slicer's --returnparameterfile and --processinformationaddress. Values are the strings given;
 * Get and Number fall back to the table's defaults. */
class Arguments
{
public:
  Arguments(const ToolDescription & tool, int argc, char * argv[])
    : m_Tool(tool)
  {
    TCLAP::CmdLine cmd(tool.Title, ' ', ModuleVersion, false);
    cmd.setExceptionHandling(false);
    std::map<std::string, std::unique_ptr<TCLAP::Arg>> declared;
    for (const auto & group : tool.Groups)
    {
      for (const auto & p : group.Parameters)
      {
        std::unique_ptr<TCLAP::Arg> arg;
        if (p.Type == Kind::Boolean)
        {
          arg = std::make_unique<TCLAP::SwitchArg>("", p.Flag, p.Description, false);
        }
        else if (p.Multiple)
        {
          arg = std::make_unique<TCLAP::MultiArg<std::string>>("", p.Flag, p.Description, false, p.ValueHint);
        }
        else
        {
          arg = std::make_unique<TCLAP::ValueArg<std::string>>("", p.Flag, p.Description, false, "", p.ValueHint);
        }
        cmd.add(*arg);
        declared[p.Flag] = std::move(arg);
      }
    }
    TCLAP::ValueArg<std::string> returnFile("", "returnparameterfile", "results file", false, "", "FILE", cmd);
    TCLAP::ValueArg<std::string> processAddress("", "processinformationaddress", "ignored", false, "", "A", cmd);
    TCLAP::UnlabeledMultiArg<std::string> positional("positional", "main input and output", false, "FILE", cmd);
    std::vector<std::string>              words(argv, argv + argc);
    try
    {
      cmd.parse(words);
    }
    catch (const TCLAP::ArgException & e)
    {
      throw UsageError(Explain(e));
    }
    for (const auto & [flag, arg] : declared)
    {
      if (auto * multi = dynamic_cast<TCLAP::MultiArg<std::string> *>(arg.get()); multi && multi->isSet())
      {
        m_Multiple[flag] = multi->getValue();
        m_Values["--" + flag] = multi->getValue().front();
      }
      else if (auto * value = dynamic_cast<TCLAP::ValueArg<std::string> *>(arg.get()); value && value->isSet())
      {
        m_Values["--" + flag] = value->getValue();
      }
      else if (arg->isSet())
      {
        m_Values["--" + flag] = "1";
      }
    }
    AssignPositional(positional.getValue());
    m_ReturnParameterFile = returnFile.getValue();
    for (auto it = m_Values.begin(); it != m_Values.end();)
    {
      const Parameter & p = m_Tool.Declared(it->first);
      CheckValue(p, it->second);
      // A value equal to the declared default is as if not given: Slicer passes every default, so
      // checks such as "--transfer needs --solver lca" must not fire on them.
      it = IsDefault(p, it->second) ? m_Values.erase(it) : std::next(it);
    }
  }
  const ToolDescription &
  Tool() const
  {
    return m_Tool;
  }
  /** Whether the user gave the flag with a value other than its declared default. */
  bool
  Has(const std::string & flag) const
  {
    m_Tool.Declared(flag);
    return m_Values.count(flag) > 0;
  }
  /** The value given, else the table's default (empty when it has none). */
  std::string
  Get(const std::string & flag) const
  {
    auto it = m_Values.find(flag);
    return it != m_Values.end() ? it->second : m_Tool.Declared(flag).DefaultValue;
  }
  /** The value given, else \c fallback: for defaults that depend on other flags, which the
   * table therefore leaves out (it must not declare one). */
  std::string
  Get(const std::string & flag, const std::string & fallback) const
  {
    if (!m_Tool.Declared(flag).DefaultValue.empty())
    {
      throw std::logic_error(flag + " has a declared default: use Get(flag)");
    }
    return Has(flag) ? Get(flag) : fallback;
  }
  /** Every value of a repeatable flag. */
  std::vector<std::string>
  GetAll(const std::string & flag) const
  {
    auto it = m_Multiple.find(flag.substr(2));
    return it != m_Multiple.end() ? it->second : std::vector<std::string>{};
  }
  std::string
  Required(const std::string & flag) const
  {
    if (!Has(flag))
    {
      const Parameter & p = m_Tool.Declared(flag);
      throw UsageError(flag + " is required" +
                       (p.Index >= 0 ? " (or give it as the " + std::string(p.Index == 0 ? "first" : "second") +
                                         " argument without a flag)"
                                     : std::string(" (see --help)")));
    }
    return Get(flag);
  }
  /** The number given, else the table's default. */
  double
  Number(const std::string & flag) const
  {
    const std::string value = Get(flag);
    if (value.empty())
    {
      throw std::logic_error(flag + " has no declared default: use Number(flag, fallback)");
    }
    return ParseNumber(value, flag);
  }
  double
  Number(const std::string & flag, double fallback) const
  {
    const std::string value = Get(flag, "");
    return value.empty() ? fallback : ParseNumber(value, flag);
  }
  /** Slicer's --returnparameterfile (empty when not given). */
  const std::string &
  ReturnParameterFile() const
  {
    return m_ReturnParameterFile;
  }

private:
  static bool
  IsDefault(const Parameter & p, const std::string & value)
  {
    if (p.DefaultValue.empty() || p.Multiple)
    {
      return false;
    }
    if (p.Type == Kind::Float || p.Type == Kind::Integer)
    {
      return std::stod(value) == std::stod(p.DefaultValue);
    }
    return value == p.DefaultValue;
  }
  /** TCLAP's exceptions in the tools' words. */
  static std::string
  Explain(const TCLAP::ArgException & e)
  {
    const std::string error = e.error(), id = e.argId();
    const size_t      open = id.find("(--"), close = id.find(')', open);
    const std::string flag = open == std::string::npos ? "" : id.substr(open + 1, close - open - 1);
    if (error.find("already set") != std::string::npos)
    {
      return flag + " is given twice";
    }
    if (error.find("Missing a value") != std::string::npos)
    {
      return flag + " needs a value";
    }
    if (error.find("Couldn't find match") != std::string::npos)
    {
      return "unknown option '" + id.substr(id.find(": ") + 2) + "' (see --help)";
    }
    return (flag.empty() ? id : flag) + ": " + error;
  }
  /** Positional words: Slicer's <index> parameters in order; anything else is an error. */
  void
  AssignPositional(const std::vector<std::string> & words)
  {
    std::vector<const Parameter *> indexed;
    for (const auto & group : m_Tool.Groups)
    {
      for (const auto & p : group.Parameters)
      {
        if (p.Index >= 0)
        {
          indexed.push_back(&p);
        }
      }
    }
    std::sort(indexed.begin(), indexed.end(), [](auto * a, auto * b) { return a->Index < b->Index; });
    for (size_t i = 0; i < words.size(); ++i)
    {
      if (words[i].rfind("-", 0) == 0 && words[i].size() > 1)
      {
        throw UsageError("unknown option '" + words[i] + "' (see --help)");
      }
      if (i >= indexed.size())
      {
        throw UsageError("unexpected argument '" + words[i] + "' (flags start with --; see --help)");
      }
      const std::string flag = "--" + indexed[i]->Flag;
      if (m_Values.count(flag))
      {
        throw UsageError("give " + flag + " or the argument '" + words[i] + "', not both");
      }
      m_Values[flag] = words[i];
    }
  }
  /** A value has its declared type: a number, an integer in range, a choice, a list; a flag
   * is not a value. */
  void
  CheckValue(const Parameter & p, const std::string & value) const
  {
    const std::string flag = "--" + p.Flag;
    if (p.Type != Kind::Boolean && value.rfind("--", 0) == 0 && m_Tool.Find(value))
    {
      throw UsageError(flag + " needs a value, but the next argument is the option " + value);
    }
    switch (p.Type)
    {
      case Kind::Float: {
        const double number = ParseNumber(value, flag);
        if ((!std::isnan(p.Minimum) && number < p.Minimum) || (!std::isnan(p.Maximum) && number > p.Maximum))
        {
          throw UsageError(flag + " must be " +
                           (std::isnan(p.Maximum)
                              ? "at least " + FormatNumber(p.Minimum)
                              : "from " + FormatNumber(p.Minimum) + " to " + FormatNumber(p.Maximum)) +
                           ", got '" + value + "'");
        }
        break;
      }
      case Kind::Integer: {
        const double number = ParseNumber(value, flag);
        const double low = std::isnan(p.Minimum) ? 0 : p.Minimum;
        const double high = std::isnan(p.Maximum) ? 4294967295.0 : p.Maximum;
        if (number != std::floor(number) || number < low || number > high)
        {
          throw UsageError(flag + " must be an integer from " + FormatNumber(low) + " to " + FormatNumber(high) +
                           ", got '" + value + "'");
        }
        break;
      }
      case Kind::Enumeration:
        if (std::find(p.Elements.begin(), p.Elements.end(), value) == p.Elements.end())
        {
          std::string list;
          for (const auto & choice : p.Elements)
          {
            list += (list.empty() ? "" : "|") + choice;
          }
          throw UsageError(flag + " must be " + list + ", got '" + value + "'");
        }
        break;
      case Kind::Image:
      case Kind::File:
        if (value.empty())
        {
          throw UsageError(flag + " needs a non-empty value");
        }
        break;
      default:
        break;
    }
  }

  const ToolDescription &                         m_Tool;
  std::map<std::string, std::string>              m_Values;
  std::map<std::string, std::vector<std::string>> m_Multiple;
  std::string                                     m_ReturnParameterFile;
};

} // namespace csc

#endif
