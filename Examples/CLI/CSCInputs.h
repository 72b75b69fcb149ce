// The tools' input checks: an image file is read completely and as what it is, or refused
// with a message naming the file and the problem.
#ifndef CSCInputs_h
#define CSCInputs_h

#include "CSCOutputs.h"
#include "itkImageFileReader.h"
#include "itkImageIOFactory.h"
#include <sys/stat.h>
#include <zlib.h>
#include <fstream>
#include <map>
#include <vector>
#include <stdexcept>
#include <string>

namespace csc
{
/** An error the user caused: printed without a stack of ITK context. */
struct UsageError : std::runtime_error
{
  using std::runtime_error::runtime_error;
};

/** MetaImage's pixel data, which ITK's reader blames on the header when the data file is
 * missing and decompresses without complaint when the stream is corrupt (garbage pixels). */
inline void
CheckMetaImageData(const std::string & path, const std::string & what, const itk::ImageIOBase * io)
{
  if (std::string(io->GetNameOfClass()) != "MetaImageIO")
  {
    return;
  }
  std::ifstream                      in(path, std::ios::binary);
  std::map<std::string, std::string> fields;
  for (std::string line; fields.count("ElementDataFile") == 0 && std::getline(in, line);)
  {
    const size_t equals = line.find('=');
    if (equals == std::string::npos)
    {
      continue;
    }
    auto trim = [](std::string text) {
      text.erase(0, text.find_first_not_of(" \t\r"));
      text.erase(text.find_last_not_of(" \t\r") + 1);
      return text;
    };
    fields[trim(line.substr(0, equals))] = trim(line.substr(equals + 1));
  }
  const std::string dataFile = fields["ElementDataFile"];
  std::string       dataPath = path;
  if (dataFile != "LOCAL")
  {
    if (dataFile == "LIST" || dataFile.find('%') != std::string::npos)
    {
      return; // several data files: left to ITK
    }
    dataPath = dataFile[0] == '/' ? dataFile : detail::FolderOf(path) + "/" + dataFile;
    if (!std::ifstream(dataPath).good())
    {
      throw UsageError("the " + what + " file '" + path + "' names its pixel data file '" + dataPath +
                       "', which cannot be read");
    }
    in = std::ifstream(dataPath, std::ios::binary);
  }
  if (fields["CompressedData"] != "True")
  {
    // Raw data: at least the image's bytes must follow (ITK reads a short file as zeros).
    const std::streamoff start = in.tellg();
    in.seekg(0, std::ios::end);
    const std::streamoff available = in.tellg() - start;
    if (available < static_cast<std::streamoff>(io->GetImageSizeInBytes()))
    {
      throw UsageError("the " + what + " file '" + path + "' is damaged: its pixel data are truncated (" +
                       std::to_string(available) + " of " + std::to_string(io->GetImageSizeInBytes()) + " bytes)");
    }
    return;
  }
  // Inflate the whole stream: it must end where it says and give exactly the image's bytes.
  const std::vector<char> compressed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Bytef>      out(1 << 20);
  z_stream                stream{};
  stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  int status = inflateInit2(&stream, 15 + 32);
  while (status == Z_OK)
  {
    stream.next_out = out.data();
    stream.avail_out = static_cast<uInt>(out.size());
    status = inflate(&stream, Z_NO_FLUSH);
  }
  const uLong produced = stream.total_out;
  inflateEnd(&stream);
  if (status != Z_STREAM_END || produced != io->GetImageSizeInBytes())
  {
    throw UsageError("the " + what + " file '" + path + "' is damaged: its compressed pixel data " +
                     (status == Z_STREAM_END ? "have the wrong size" : "are corrupt or truncated") + " (" +
                     std::to_string(produced) + " of " + std::to_string(io->GetImageSizeInBytes()) + " bytes)");
  }
}

/** The header of an image file, with clear errors for missing, unreadable or non-image files
 * and for images that are not scalar (RGB, vectors, tensors). */
inline itk::ImageIOBase::Pointer
ReadImageHeader(const std::string & path, const std::string & what)
{
  struct stat info
  {};
  if (stat(path.c_str(), &info) != 0)
  {
    throw UsageError("the " + what + " file '" + path + "' does not exist");
  }
  if (!S_ISREG(info.st_mode) || access(path.c_str(), R_OK) != 0)
  {
    throw UsageError("cannot read the " + what + " file '" + path + "'" +
                     (S_ISDIR(info.st_mode) ? " (it is a folder)" : ""));
  }
  auto io = itk::ImageIOFactory::CreateImageIO(path.c_str(), itk::IOFileModeEnum::ReadMode);
  if (!io)
  {
    throw UsageError("the " + what + " file '" + path + "' is not an image format ITK can read");
  }
  CapturedErrorStream errors;
  try
  {
    io->SetFileName(path);
    io->ReadImageInformation();
  }
  catch (const itk::ExceptionObject & e)
  {
    throw UsageError("cannot read the " + what + " file '" + path + "': " + Describe(e));
  }
  if (!errors.Failure().empty())
  {
    throw UsageError("the " + what + " file '" + path + "' is damaged: " + errors.Text());
  }
  CheckMetaImageData(path, what, io);
  if (io->GetNumberOfComponents() != 1)
  {
    throw UsageError("the " + what + " file '" + path + "' has " + std::to_string(io->GetNumberOfComponents()) +
                     " components per pixel; a scalar (grey-level) image is needed: convert it first");
  }
  return io;
}

/** The number of dimensions of an image file (ReadImageHeader's checks). */
inline unsigned int
ImageDimensionOf(const std::string & path, const std::string & what)
{
  return ReadImageHeader(path, what)->GetNumberOfDimensions();
}

/** Checks the header of an image for TImage: a file with more axes is refused unless the extra
 * axes have size 1 (ITK would drop them), one with fewer gets size-1 axes. */
template <typename TImage>
itk::ImageIOBase::Pointer
ReadImageHeaderFor(const std::string & path, const std::string & what)
{
  constexpr unsigned int Dimension = TImage::ImageDimension;
  auto                   io = ReadImageHeader(path, what);
  for (unsigned int d = Dimension; d < io->GetNumberOfDimensions(); ++d)
  {
    if (io->GetDimensions(d) != 1)
    {
      throw UsageError("the " + what + " file '" + path + "' is " + std::to_string(io->GetNumberOfDimensions()) +
                       "-D with " + std::to_string(io->GetDimensions(d)) + " pixels along axis " + std::to_string(d) +
                       "; a " + std::to_string(Dimension) + "-D image is needed here");
    }
  }
  return io;
}

/** Reads a scalar image of TImage's dimension completely (ReadImageHeaderFor's checks);
 * truncated or corrupt pixel data (which ITK's MetaImage reader reports only on std::cerr and
 * reads as zeros) is an error. */
template <typename TImage>
typename TImage::Pointer
ReadImageInput(const std::string & path, const std::string & what)
{
  ReadImageHeaderFor<TImage>(path, what);
  CapturedErrorStream errors;
  auto                reader = itk::ImageFileReader<TImage>::New();
  reader->SetFileName(path);
  try
  {
    reader->Update();
  }
  catch (const itk::ExceptionObject & e)
  {
    throw UsageError("cannot read the pixel data of the " + what + " file '" + path + "': " + Describe(e));
  }
  if (!errors.Failure().empty())
  {
    throw UsageError("the " + what + " file '" + path +
                     "' is damaged (its pixel data are incomplete or corrupt): " + errors.Text());
  }
  typename TImage::Pointer image = reader->GetOutput();
  image->DisconnectPipeline();
  return image;
}
/** A dictionary file for an N-D image: (N+1)-D, the last axis indexing the kernels. */
template <unsigned int VImageDimension>
typename itk::Image<float, VImageDimension + 1>::Pointer
ReadDictionaryInput(const std::string & path)
{
  const unsigned int dimension = ImageDimensionOf(path, "dictionary");
  if (dimension != VImageDimension + 1)
  {
    throw UsageError("the dictionary must be " + std::to_string(VImageDimension + 1) + "-D for a " +
                     std::to_string(VImageDimension) + "-D image (last axis = kernel index), but '" + path + "' is " +
                     std::to_string(dimension) + "-D");
  }
  return ReadImageInput<itk::Image<float, VImageDimension + 1>>(path, "dictionary");
}
} // namespace csc

#endif
