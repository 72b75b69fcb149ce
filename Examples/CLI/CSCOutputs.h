// The tools' one output policy. Every output is declared before any work (its folder exists
// and is writable, and ITK writes the tool's pixel type and dimension to its extension: a
// one-pixel probe is written and removed), staged in a hidden folder beside it, written,
// synced and checked (nothing reported on the error stream by the writer, the image read back
// identical, a text's size as written), and moved into place only when every output of the run
// succeeded. On a failure, SIGINT, SIGTERM or SIGHUP no output and no staged file is left.
#ifndef CSCOutputs_h
#define CSCOutputs_h

#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkImageIOFactory.h"
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <functional>
#include <regex>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace csc
{
/** Text that ITK's image IO libraries print on std::cerr instead of failing (MetaIO's "file
 * stream is fail after write", "data not read completely", ITK warnings) while alive. */
class CapturedErrorStream
{
public:
  CapturedErrorStream()
    : m_Previous(std::cerr.rdbuf(m_Text.rdbuf()))
  {}
  ~CapturedErrorStream() { std::cerr.rdbuf(m_Previous); }
  CapturedErrorStream(const CapturedErrorStream &) = delete;
  CapturedErrorStream &
  operator=(const CapturedErrorStream &) = delete;
  /** The captured text when it reports a failure (MetaIO's "fail", "not read completely",
   * "error", ...); anything else (a TIFF reader's unknown tag, NIfTI's coerced direction) is
   * passed on to the real error stream as a warning, and an empty string returned. */
  std::string
  Failure() const
  {
    static const std::regex failure("error|fail|not read|cannot|could not|corrupt|truncat|incomplete",
                                    std::regex::icase);
    const std::string       text = this->Text();
    if (text.empty() || std::regex_search(text, failure))
    {
      return text;
    }
    m_Previous->sputn("warning: ", 9);
    m_Previous->sputn(text.data(), static_cast<std::streamsize>(text.size()));
    m_Previous->sputn("\n", 1);
    return std::string();
  }

  std::string
  Text() const
  {
    std::string text = m_Text.str();
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    {
      text.pop_back();
    }
    return text;
  }

private:
  std::ostringstream m_Text;
  std::streambuf *   m_Previous;
};

/** An ITK exception's description without ITK's "ITK ERROR: Class(0x...): " prefixes, which
 * name internal objects, not the user's problem. */
inline std::string
Describe(const itk::ExceptionObject & e)
{
  static const std::regex prefix("ITK ERROR: ([A-Za-z0-9_:]+\\(0x[0-9a-fA-F]+\\): )?");
  return std::regex_replace(e.GetDescription(), prefix, "");
}

namespace detail
{
// The staged paths the signal handler removes: fixed storage, written before it is counted.
constexpr int                MaximumStagedPaths = 256;
constexpr size_t             MaximumPathLength = 4096;
inline char                  g_StagedPaths[MaximumStagedPaths][MaximumPathLength];
inline volatile sig_atomic_t g_NumberOfStagedPaths = 0;

/** Files first, then the staging folders (registered after their files are). */
inline void
RemoveStagedPaths()
{
  for (int i = g_NumberOfStagedPaths - 1; i >= 0; --i)
  {
    if (unlink(g_StagedPaths[i]) != 0)
    {
      rmdir(g_StagedPaths[i]);
    }
  }
}

extern "C" inline void
RemoveStagedPathsAndDie(int signalNumber)
{
  RemoveStagedPaths();
  signal(signalNumber, SIG_DFL);
  raise(signalNumber);
}

inline void
RegisterStagedPath(const std::string & path)
{
  if (g_NumberOfStagedPaths >= MaximumStagedPaths || path.size() >= MaximumPathLength)
  {
    throw std::runtime_error("too many outputs or too long a path: " + path);
  }
  std::memcpy(g_StagedPaths[g_NumberOfStagedPaths], path.c_str(), path.size() + 1);
  g_NumberOfStagedPaths = g_NumberOfStagedPaths + 1;
}

/** Blocks the signals that would interrupt a commit half-way, while alive. */
class BlockedSignals
{
public:
  BlockedSignals()
  {
    sigset_t set;
    sigemptyset(&set);
    for (int s : { SIGINT, SIGTERM, SIGHUP })
    {
      sigaddset(&set, s);
    }
    sigprocmask(SIG_BLOCK, &set, &m_Previous);
  }
  ~BlockedSignals() { sigprocmask(SIG_SETMASK, &m_Previous, nullptr); }

private:
  sigset_t m_Previous;
};

inline std::string
FolderOf(const std::string & path)
{
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

inline std::string
NameOf(const std::string & path)
{
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

inline std::vector<std::string>
FilesIn(const std::string & folder)
{
  std::vector<std::string> names;
  if (DIR * dir = opendir(folder.c_str()))
  {
    while (const dirent * entry = readdir(dir))
    {
      const std::string name = entry->d_name;
      if (name != "." && name != "..")
      {
        names.push_back(name);
      }
    }
    closedir(dir);
  }
  return names;
}

/** Flushes a written file to the disk; a full disk may only say so here. */
inline void
SyncFile(const std::string & path)
{
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0 || fsync(fd) != 0)
  {
    const std::string reason = std::strerror(errno);
    if (fd >= 0)
    {
      close(fd);
    }
    throw std::runtime_error(reason);
  }
  close(fd);
}

/** Starts writing \c path's dirty pages to the disk without waiting, so that the checks after
 * a write overlap with it and SyncFile() later waits less. A hint: failures are left to SyncFile. */
inline void
StartWriteback(const std::string & path)
{
#ifdef __linux__
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd >= 0)
  {
    sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    close(fd);
  }
#else
  (void)path;
#endif
}

/** True when \c path is an uncompressed MetaImage (.mha) whose header declares \c dimSize and
 * ends with "ElementDataFile = LOCAL", followed by exactly the \c bytes of \c data. Reads the
 * file in 1 MiB pieces; false on any difference, and for a header it does not recognise (the
 * caller then reads the image back through ITK). */
inline bool
MetaImageHolds(const std::string & path, const std::string & dimSize, const void * data, size_t bytes)
{
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0)
  {
    return false;
  }
  struct stat  info;
  bool         same = fstat(fd, &info) == 0 && static_cast<size_t>(info.st_size) >= bytes;
  const size_t headerBytes = same ? static_cast<size_t>(info.st_size) - bytes : 0;
  same = same && headerBytes > 0 && headerBytes <= (size_t(1) << 16);
  std::vector<char> buffer(same ? std::max(headerBytes, size_t(1) << 20) : 0);
  if (same)
  {
    const std::string header(buffer.data(),
                             buffer.data() + std::max<ssize_t>(0, pread(fd, buffer.data(), headerBytes, 0)));
    const std::string last = "ElementDataFile = LOCAL\n";
    same = header.size() == headerBytes && header.size() >= last.size() &&
           header.compare(header.size() - last.size(), last.size(), last) == 0 &&
           header.find("\nDimSize = " + dimSize + "\n") != std::string::npos &&
           header.find("CompressedData = True") == std::string::npos;
  }
  for (size_t offset = 0; same && offset < bytes; offset += buffer.size())
  {
    const size_t  length = std::min(buffer.size(), bytes - offset);
    const ssize_t got = pread(fd, buffer.data(), length, static_cast<off_t>(headerBytes + offset));
    same = got == static_cast<ssize_t>(length) &&
           std::memcmp(buffer.data(), static_cast<const char *>(data) + offset, length) == 0;
  }
  close(fd);
  return same;
}
} // namespace detail

/** The outputs of one run: declared and checked first, staged, then committed together. */
class OutputSet
{
public:
  static OutputSet &
  Instance()
  {
    static OutputSet outputs;
    return outputs;
  }

  /** Removes staged files when the process is interrupted or terminated; a write beyond a
   * file-size limit fails as on a full disk instead of killing the process. */
  static void
  InstallSignalHandlers()
  {
    for (int s : { SIGINT, SIGTERM, SIGHUP })
    {
      signal(s, detail::RemoveStagedPathsAndDie);
    }
    signal(SIGXFSZ, SIG_IGN);
  }

  /** Image outputs are written uncompressed (fast) unless this is set. */
  void
  SetCompression(bool compress)
  {
    m_Compress = compress;
  }

  /** Checks that \c path (given by \c flag) can be written as an image of TImage's pixel type
   * and dimension, before any work is spent. */
  template <typename TImage>
  void
  DeclareImage(const std::string & flag, const std::string & path)
  {
    this->CheckFolder(flag, path);
    if (!itk::ImageIOFactory::CreateImageIO(path.c_str(), itk::IOFileModeEnum::WriteMode))
    {
      throw std::runtime_error(flag + " '" + path +
                               "': ITK has no image writer for this file name's extension "
                               "(use e.g. .mha, .nrrd, .nii.gz or .tif)");
    }
    auto                      probe = TImage::New();
    typename TImage::SizeType size;
    size.Fill(2);
    probe->SetRegions(size);
    probe->Allocate(true);
    try
    {
      this->Stage(
        flag, path, [&](const std::string & staged) { this->WriteImageChecked(probe.GetPointer(), staged); }, false);
    }
    catch (const std::exception & e)
    {
      this->Discard();
      throw std::runtime_error(std::string(e.what()) + " (this tool writes " + std::to_string(TImage::ImageDimension) +
                               "-D images of its pixel type there; use e.g. .mha, .nrrd or .nii.gz)");
    }
    this->Discard();
    m_Declared.push_back({ path, flag });
  }

  /** Checks that the text output \c path (given by \c flag) can be written. */
  void
  DeclareText(const std::string & flag, const std::string & path)
  {
    this->CheckFolder(flag, path);
    m_Declared.push_back({ path, flag });
  }

  /** Writes \c image to the staging area of \c path and checks it. */
  template <typename TImage>
  void
  StageImage(const std::string & path, const TImage * image)
  {
    this->Stage(
      this->DeclaringFlag(path), path, [&](const std::string & staged) { this->WriteImageChecked(image, staged); });
  }

  /** Stages \c path for a writer that fills it piece by piece (a streamed output): returns the
   * staged file, moved into place with the run's other outputs. */
  std::string
  StagePieces(const std::string & path)
  {
    return this->MakeStage(this->DeclaringFlag(path), path);
  }

  /** Writes the text that write(stream) produces to the staging area of \c path. */
  void
  StageText(const std::string & path, const std::function<void(std::ostream &)> & write)
  {
    const std::string  flag = this->DeclaringFlag(path);
    std::ostringstream text;
    write(text);
    const std::string content = text.str();
    this->Stage(flag, path, [&](const std::string & staged) {
      std::FILE * file = std::fopen(staged.c_str(), "wb");
      if (!file)
      {
        throw std::runtime_error(std::strerror(errno));
      }
      const size_t written = std::fwrite(content.data(), 1, content.size(), file);
      const int    flushed = std::fflush(file);
      const int    error = errno;
      if (std::fclose(file) != 0 || flushed != 0 || written != content.size())
      {
        throw std::runtime_error(std::strerror(error ? error : errno));
      }
    });
  }

  /** Moves every staged output into place; on a failure removes those already moved. */
  void
  Commit()
  {
    detail::BlockedSignals   blocked;
    std::vector<std::string> moved;
    for (const Staged & staged : m_Staged)
    {
      for (const std::string & name : detail::FilesIn(staged.Folder))
      {
        const std::string target = detail::FolderOf(staged.Path) + "/" + name;
        if (std::rename((staged.Folder + "/" + name).c_str(), target.c_str()) != 0)
        {
          const std::string reason = std::strerror(errno);
          for (const std::string & done : moved)
          {
            std::remove(done.c_str());
          }
          this->Discard();
          throw std::runtime_error("cannot move the output into place: " + target + " (" + reason + ")");
        }
        moved.push_back(target);
      }
    }
    this->Discard();
  }

  /** Removes every staged file and folder. */
  void
  Discard()
  {
    detail::BlockedSignals blocked;
    for (const Staged & staged : m_Staged)
    {
      for (const std::string & name : detail::FilesIn(staged.Folder))
      {
        std::remove((staged.Folder + "/" + name).c_str());
      }
      rmdir(staged.Folder.c_str());
    }
    detail::RemoveStagedPaths();
    detail::g_NumberOfStagedPaths = 0;
    m_Staged.clear();
  }

private:
  struct Staged
  {
    std::string Path;
    std::string Folder;
  };

  void
  CheckFolder(const std::string & flag, const std::string & path)
  {
    if (path.empty() || path.back() == '/')
    {
      throw std::runtime_error(flag + " needs a file name, got '" + path + "'");
    }
    for (const auto & declared : m_Declared)
    {
      if (declared.first == path)
      {
        throw std::runtime_error(flag + " '" + path + "' is also the file of " + declared.second);
      }
    }
    struct stat info
    {};
    if (stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
    {
      throw std::runtime_error(flag + " '" + path + "' is a folder, not a file name");
    }
    const std::string folder = detail::FolderOf(path);
    if (stat(folder.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    {
      throw std::runtime_error(flag + " '" + path + "': the folder '" + folder + "' does not exist");
    }
    if (access(folder.c_str(), W_OK | X_OK) != 0)
    {
      throw std::runtime_error(flag + " '" + path + "': the folder '" + folder + "' is not writable");
    }
  }

  /** The flag that declared \c path; every output is declared before the work. */
  std::string
  DeclaringFlag(const std::string & path) const
  {
    for (const auto & declared : m_Declared)
    {
      if (declared.first == path)
      {
        return declared.second;
      }
    }
    throw std::logic_error("the output '" + path + "' was not declared before the work (a bug in the tool)");
  }

  /** Stages \c path: a hidden folder beside it, registered with the signal handler together
   * with the names a writer may create there (MetaImage and Analyze write a second file). The
   * files are flushed to the disk unless \c durable is false (a probe that is discarded). */
  template <typename TWrite>
  void
  Stage(const std::string & flag, const std::string & path, TWrite && write, bool durable = true)
  {
    const std::string staged = this->MakeStage(flag, path);
    try
    {
      write(staged);
      for (const std::string & file : detail::FilesIn(detail::FolderOf(staged)))
      {
        if (durable)
        {
          detail::SyncFile(detail::FolderOf(staged) + "/" + file);
        }
      }
    }
    catch (const itk::ExceptionObject & e)
    {
      throw std::runtime_error("cannot write " + flag + " '" + path + "': " + Describe(e));
    }
    catch (const std::exception & e)
    {
      throw std::runtime_error("cannot write " + flag + " '" + path + "': " + e.what());
    }
  }

  /** The staging folder of \c path, made and registered; returns the staged file's name. */
  std::string
  MakeStage(const std::string & flag, const std::string & path)
  {
    const std::string name = detail::NameOf(path);
    const std::string folder =
      detail::FolderOf(path) + "/." + name + ".partial-" + std::to_string(getpid()) + "-" + std::to_string(m_Counter++);
    detail::RegisterStagedPath(folder);
    if (mkdir(folder.c_str(), 0700) != 0)
    {
      throw std::runtime_error("cannot write " + flag + " '" + path + "': " + std::strerror(errno));
    }
    m_Staged.push_back({ path, folder });
    const size_t      dot = name.find('.');
    const std::string stem = name.substr(0, dot);
    for (const char * companion : { "", ".raw", ".zraw", ".img", ".img.gz" })
    {
      detail::RegisterStagedPath(folder + "/" + (*companion ? stem + companion : name));
    }
    return folder + "/" + name;
  }

  /** Writes, then reads back and compares: ITK's MetaImage writer reports a full disk only on
   * std::cerr, and a truncated file reads back different or with an error. */
  template <typename TImage>
  void
  WriteImageChecked(const TImage * image, const std::string & staged) const
  {
    {
      CapturedErrorStream errors;
      itk::WriteImage(image, staged, m_Compress);
      if (!errors.Failure().empty())
      {
        throw std::runtime_error(errors.Text() + " (is the disk full?)");
      }
    }
    for (const std::string & file : detail::FilesIn(detail::FolderOf(staged)))
    {
      detail::StartWriteback(detail::FolderOf(staged) + "/" + file);
    }
    const size_t       bytes = image->GetPixelContainer()->Size() * sizeof(typename TImage::PixelType);
    std::ostringstream dimSize;
    for (unsigned int d = 0; d < TImage::ImageDimension; ++d)
    {
      dimSize << (d ? " " : "") << image->GetLargestPossibleRegion().GetSize(d);
    }
    // An uncompressed .mha is compared where it lies, without a second image in memory.
    if (!m_Compress && staged.size() > 4 && staged.compare(staged.size() - 4, 4, ".mha") == 0 &&
        detail::MetaImageHolds(staged, dimSize.str(), image->GetBufferPointer(), bytes))
    {
      return;
    }
    CapturedErrorStream errors;
    auto                reader = itk::ImageFileReader<TImage>::New();
    reader->SetFileName(staged);
    reader->Update();
    const auto * back = reader->GetOutput();
    if (!errors.Failure().empty() ||
        back->GetLargestPossibleRegion().GetSize() != image->GetLargestPossibleRegion().GetSize() ||
        std::memcmp(back->GetBufferPointer(), image->GetBufferPointer(), bytes) != 0)
    {
      throw std::runtime_error("the file reads back different from what was written (disk full?)" +
                               (errors.Text().empty() ? std::string() : ": " + errors.Text()));
    }
  }

  std::vector<std::pair<std::string, std::string>> m_Declared; // path, flag
  std::vector<Staged>                              m_Staged;
  unsigned int                                     m_Counter{ 0 };
  bool                                             m_Compress{ false };
};
} // namespace csc

#endif
